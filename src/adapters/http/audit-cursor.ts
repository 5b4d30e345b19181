import type { AuditPosition } from '../../application/ports.ts';
import { invalidQuery } from './http-errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A position as base64url of `<ISO instant>/<id>`. Opaque to clients but not secret: the query
 * is always the asking user's own entries, so a forged cursor can only move within them.
 */
export function encodeCursor(position: AuditPosition): string {
  return Buffer.from(`${position.at.toISOString()}/${position.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): AuditPosition {
  const [instant = '', id = '', ...rest] = Buffer.from(cursor, 'base64url').toString().split('/');
  const at = new Date(instant);
  if (rest.length > 0 || !UUID.test(id) || Number.isNaN(at.getTime())) throw invalidQuery();
  if (at.toISOString() !== instant) throw invalidQuery();
  return { at, id };
}
