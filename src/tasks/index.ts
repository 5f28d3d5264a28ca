// Which code runs each kind of task. The stage's graph decides when.
import type { TaskKind } from '../plan/graph.js';
import type { TaskRunner } from './context.js';
import { createPublication } from './create-publication.js';
import { createSlot } from './create-slot.js';
import { exportSnapshot } from './export-snapshot.js';
import { dump } from './dump.js';
import { restore } from './restore.js';
import { createSubscription } from './create-subscription.js';
import { addToReplicationSet } from './add-to-replication-set.js';
import { enableSubscription } from './enable-subscription.js';
import { catchUp } from './catch-up.js';
import { hook } from './hook.js';

export const RUNNERS: Partial<Record<TaskKind, TaskRunner>> = {
  'create-publication': createPublication,
  'create-slot': createSlot,
  'export-snapshot': exportSnapshot,
  dump,
  restore,
  'create-subscription': createSubscription,
  'add-to-replication-set': addToReplicationSet,
  'enable-subscription': enableSubscription,
  'catch-up': catchUp,
  hook,
};
