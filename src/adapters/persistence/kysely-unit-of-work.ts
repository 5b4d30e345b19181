import type { Kysely } from 'kysely';
import type { Repositories, TokenCipher, UnitOfWork } from '../../application/ports.ts';
import { guarded } from './database-errors.ts';
import { KyselyAuditLog } from './kysely-audit-log.ts';
import { KyselyOutbox, type TraceContextSource } from './kysely-outbox.ts';
import { KyselySessionRepository } from './kysely-session-repository.ts';
import { KyselyUserRepository } from './kysely-user-repository.ts';
import { KyselyWeiboAccountRepository } from './kysely-weibo-account-repository.ts';
import type { Database } from './schema.ts';

export class KyselyUnitOfWork implements UnitOfWork {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly cipher: TokenCipher,
    private readonly traceContext?: TraceContextSource,
  ) {}

  transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    return guarded(() =>
      this.db.transaction().execute((trx) =>
        work({
          users: new KyselyUserRepository(trx),
          weiboAccounts: new KyselyWeiboAccountRepository(trx, this.cipher),
          outbox: new KyselyOutbox(trx, this.traceContext),
          sessions: new KyselySessionRepository(trx),
          audit: new KyselyAuditLog(trx),
        }),
      ),
    );
  }
}
