// The second round on the source: everything else its rules judge. Add a new
// fact of the source here (and to SourceCatalog in ../facts.ts).
import type pg from 'pg';
import type { CheckContext } from '../context.js';
import type { SourceCatalog, SourceSummary } from '../facts.js';
import { readFacts } from './read-facts.js';
import { readInactiveSlots, readPlanSlots, readSlotsInUse, readWalSendersInUse } from './source-slots.js';
import { readCanCreateInDatabase, readConnectingRoles } from './source-roles.js';
import { readLargeObjects, readPlanPublications, readPresentSchemas, readSequenceCount, readTemporaryTables, readUnreadableSequences } from './source-objects.js';
import { readLongTransactions, readPreparedTransactions } from './source-sessions.js';
import { startWalSample } from './wal-rate.js';
import { readFreezeAccess } from './freeze-access.js';

export async function readSourceCatalog(c: pg.Client, ctx: CheckContext, summary: SourceSummary): Promise<SourceCatalog> {
  // The rate only decides a verdict under a limit (max_slot_wal_keep_size >= 0);
  // with none it feeds an info finding, which apply's preflight does not show:
  // there it is not worth the second it takes at the start of every apply.
  const limited = (summary.settings.max_slot_wal_keep_size ?? -1) >= 0;
  const walRate = await startWalSample(c, limited || !ctx.preflight);
  return readFacts(summary, {
    slots_in_use: () => readSlotsInUse(c),
    plan_slots: () => readPlanSlots(c, ctx, summary.version_num),
    wal_senders_in_use: () => readWalSendersInUse(c),
    connecting_roles: () => readConnectingRoles(c, ctx, summary.user),
    can_create_in_database: () => readCanCreateInDatabase(c),
    unreadable_sequences: () => readUnreadableSequences(c, ctx),
    present_schemas: () => readPresentSchemas(c, ctx),
    temporary_tables: () => readTemporaryTables(c),
    large_objects: () => readLargeObjects(c),
    sequences: () => readSequenceCount(c, ctx),
    plan_publications: () => readPlanPublications(c, ctx),
    inactive_slots: () => readInactiveSlots(c, ctx),
    long_transactions: () => readLongTransactions(c),
    prepared_transactions: () => readPreparedTransactions(c),
    freeze_access: () => readFreezeAccess(c, ctx),
    // Last: by now the rate has been sampled over the other reads.
    wal_rate: walRate,
  });
}
