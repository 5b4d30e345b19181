import { type AuditAction, type AuditEntry, auditEntry, type Requester } from '../domain/audit.ts';
import type { Clock, IdGenerator } from './ports.ts';

/** Makes the audit entries of the use cases: each with a new id, at the clock's now. */
export class AuditTrail {
  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  entry(
    userId: string,
    action: AuditAction,
    requester: Requester = {},
    extra: Parameters<typeof auditEntry>[2] = {},
  ): AuditEntry {
    const base = { id: this.ids.ordered(), at: this.clock.now(), userId, action };
    return auditEntry(base, requester, extra);
  }
}
