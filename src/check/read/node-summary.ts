// The first queries on a node: its version, settings and the tool's role there.
// A failure here is the node being unusable (node.reachable).
import type pg from 'pg';
import { settingsOf } from '../session.js';
import type { NodeFacts, NodeSettings } from '../facts.js';

export type NodeSummary = Pick<NodeFacts, 'version_num' | 'version' | 'settings' | 'role'>;

export async function readNodeSummary(c: pg.Client): Promise<NodeSummary> {
  const s = settingsOf(
    (
      await c.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings
          WHERE name IN ('server_version', 'server_version_num', 'max_logical_replication_workers', 'max_worker_processes',
                         'max_replication_slots', 'shared_preload_libraries', 'track_commit_timestamp')`,
      )
    ).rows,
  );
  const versionNum = Number(s.get('server_version_num'));
  const role = (
    await c.query<NodeFacts['role']>(
      `SELECT r.rolname AS user, r.rolsuper AS superuser,
              EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_superuser' AND pg_has_role(r.oid, g.oid, 'MEMBER')) AS privileged,
              EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'pg_create_subscription' AND pg_has_role(r.oid, g.oid, 'MEMBER')) AS can_subscribe
         FROM pg_roles r WHERE r.rolname = current_user`,
    )
  ).rows[0];
  const settings: NodeSettings = {
    max_logical_replication_workers: Number(s.get('max_logical_replication_workers')),
    max_worker_processes: Number(s.get('max_worker_processes')),
    max_replication_slots: Number(s.get('max_replication_slots')),
    shared_preload_libraries: s.get('shared_preload_libraries') ?? '',
    track_commit_timestamp: s.get('track_commit_timestamp') ?? '',
  };
  return { version_num: versionNum, version: s.get('server_version') ?? String(versionNum), settings, role };
}
