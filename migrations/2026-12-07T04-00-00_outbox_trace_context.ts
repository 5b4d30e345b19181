import type { Kysely } from 'kysely';

// The W3C trace context of the request that wrote each event (SPEC "Traces"): the relay's
// publish span continues it. Null for rows written without a trace, and for older rows.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('outbox')
    .addColumn('traceparent', 'text')
    .addColumn('tracestate', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').dropColumn('traceparent').dropColumn('tracestate').execute();
}
