import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { preparedQuery } from '../../src/adapters/persistence/prepared-query.ts';

describe('preparedQuery', () => {
  it('puts each value where the builder used it, by name, repeats and constants included', () => {
    const query = preparedQuery(
      'test_upsert',
      (db, values: { uid: string; token: string; at: Date | null }) =>
        db
          .insertInto('weibo_accounts')
          .values({
            uid: values.uid,
            access_token_encrypted: values.token,
            access_token_expires_at: values.at,
          })
          .onConflict((conflict) =>
            conflict.column('uid').doUpdateSet({
              access_token_encrypted: values.token,
              updated_at: sql<Date>`now() + ${'1 day'}::interval`,
            }),
          ),
    );
    const at = new Date('2026-12-01T00:00:00Z');
    const first = query({ uid: '1', token: 'a', at });
    const second = query({ uid: '2', token: 'b', at: null });
    expect(first.sql).toBe(second.sql);
    expect(first.parameters).toEqual(['1', 'a', at, 'a', '1 day']);
    expect(second.parameters).toEqual(['2', 'b', null, 'b', '1 day']);
  });

  it('refuses one statement name for two different queries', () => {
    const byId = (db: Parameters<Parameters<typeof preparedQuery>[1]>[0], values: { id: string }) =>
      db.selectFrom('users').select('id').where('id', '=', values.id);
    preparedQuery('test_same_name', byId);
    expect(() => preparedQuery('test_same_name', byId)).not.toThrow();
    expect(() =>
      preparedQuery('test_same_name', (db, values: { id: string }) =>
        db.selectFrom('users').select('username').where('id', '=', values.id),
      ),
    ).toThrow(/already another query/);
  });
});
