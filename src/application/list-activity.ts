import type { AuditEntry } from '../domain/audit.ts';
import type { AuditLog, AuditPosition } from './ports.ts';

export interface ActivityPage {
  entries: AuditEntry[];
  /** Where the next page starts; null on the last page. */
  next: AuditPosition | null;
}

/**
 * The user's own security activity (endpoint 14), newest first, a page at a time. Paging is by
 * position (`at`, `id`), never by offset: entries written meanwhile come before the first page,
 * so the pages after it neither repeat nor skip one.
 */
export class ListActivity {
  constructor(private readonly audit: AuditLog) {}

  async execute(userId: string, limit: number, from?: AuditPosition): Promise<ActivityPage> {
    const found = await this.audit.page(userId, limit + 1, from);
    const entries = found.slice(0, limit);
    const last = entries.at(-1);
    const next = found.length > limit && last ? { at: last.at, id: last.id } : null;
    return { entries, next };
  }
}
