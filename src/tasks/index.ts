// Which code runs each kind of task. The stage's graph decides when.
import type { TaskKind } from '../plan/graph.js';
import type { TaskRunner } from './context.js';
import { createPublication } from './create-publication.js';
import { createSlot } from './create-slot.js';
import { exportSnapshot } from './export-snapshot.js';
import { dump } from './dump.js';
import { restore } from './restore.js';
import { dumpSchema } from './dump-schema.js';
import { restorePreData } from './restore-pre-data.js';
import { copyTables } from './copy-tables.js';
import { restorePostData } from './restore-post-data.js';
import { copyDatabaseSettings } from './copy-database-settings.js';
import { createSubscription } from './create-subscription.js';
import { addToReplicationSet } from './add-to-replication-set.js';
import { enableSubscription } from './enable-subscription.js';
import { catchUp } from './catch-up.js';
import { hook } from './hook.js';
import { cutoverReady } from './cutover-ready.js';
import { freezeWrites } from './freeze-writes.js';
import { drain } from './drain.js';
import { syncSequences } from './sync-sequences.js';
import { convertSequences } from './convert-sequences.js';
import { quickCheck } from './quick-check.js';
import { switchTraffic } from './switch.js';
import { dropSubscription, dropSlots, dropPublications, vacuum } from './cleanup.js';
import { reopenSource } from './reopen-source.js';
import { createFallbackSlot } from './create-fallback-slot.js';
import { createFallbackSubscription, enableFallback } from './create-fallback-subscription.js';
import { freezeNodes } from './rollback-freeze.js';
import { rollbackDrain } from './rollback-drain.js';
import { rollbackSequences } from './rollback-sequences.js';
import { rollbackCheck } from './rollback-check.js';
import { rollbackSwitch, unfreezeSource } from './rollback-switch.js';
import { rollbackReady } from './rollback-ready.js';
import { dropFallback } from './drop-fallback.js';
import { installDdlGuard, removeDdlGuard } from './install-ddl-guard.js';
import { ddlStatement } from './ddl-statement.js';
import { ddlPublish, ddlReplicationSet } from './ddl-publish.js';
import { ddlSync, ddlUnsubscribe } from './ddl-sync.js';
import { ddlConfirm } from './ddl-confirm.js';
import { ddlMark } from './ddl-mark.js';

export const RUNNERS: Record<TaskKind, TaskRunner> = {
  'create-publication': createPublication,
  'create-slot': createSlot,
  'export-snapshot': exportSnapshot,
  dump,
  restore,
  'dump-schema': dumpSchema,
  'restore-pre-data': restorePreData,
  'copy-tables': copyTables,
  'restore-post-data': restorePostData,
  'copy-database-settings': copyDatabaseSettings,
  'create-subscription': createSubscription,
  'add-to-replication-set': addToReplicationSet,
  'enable-subscription': enableSubscription,
  'catch-up': catchUp,
  hook,
  'cutover-ready': cutoverReady,
  'freeze-writes': freezeWrites,
  drain,
  'convert-sequences': convertSequences,
  'sync-sequences': syncSequences,
  'quick-check': quickCheck,
  switch: switchTraffic,
  'drop-subscription': dropSubscription,
  'drop-slots': dropSlots,
  'drop-publications': dropPublications,
  vacuum,
  'reopen-source': reopenSource,
  'create-fallback-slot': createFallbackSlot,
  'create-fallback-subscription': createFallbackSubscription,
  'enable-fallback': enableFallback,
  'rollback-ready': rollbackReady,
  'freeze-nodes': freezeNodes,
  'rollback-drain': rollbackDrain,
  'rollback-sequences': rollbackSequences,
  'rollback-check': rollbackCheck,
  'rollback-switch': rollbackSwitch,
  'unfreeze-source': unfreezeSource,
  'drop-fallback': dropFallback,
  'install-ddl-guard': installDdlGuard,
  'remove-ddl-guard': removeDdlGuard,
  'ddl-statement': ddlStatement,
  'ddl-publish': ddlPublish,
  'ddl-repset': ddlReplicationSet,
  'ddl-sync': ddlSync,
  'ddl-confirm': ddlConfirm,
  'ddl-unsubscribe': ddlUnsubscribe,
  'ddl-mark': ddlMark,
};
