import { error, info, type NodeRule } from '../rule.js';
import { SPOCK_LOCAL_DDL_SETTINGS } from '../../render/spock-local-ddl.js';

export const rule: NodeRule = {
  id: 'node.ddl_replication',
  target: 'node',
  severity: 'error',
  title: "a pgedge node's DDL replication settings let the restore run on each node by itself",
  docs: {
    why: "Every node restores the same dump. With Spock's automatic DDL replication on, one node's CREATEs would be run again on the others, and their restores would stop at 'already exists': the migration's sessions turn it off for themselves. spock.deny_all_ddl refuses the restore's DDL outright.",
    fix: 'ALTER SYSTEM SET spock.deny_all_ddl = off; SELECT pg_reload_conf();  for the migration (the rest needs nothing).',
  },
  check: (f) => {
    const p = f.pgedge;
    if (!p || !f.multimaster?.schema) return undefined;
    const on = (v: string | null) => v === 'on' || v === 'true';
    if (on(p.ddl.deny_all_ddl)) {
      return error(
        'spock.deny_all_ddl is on',
        'Spock refuses every DDL statement on this node: the restore (CREATE TABLE ...) and the cutover\'s sequence changes would fail.',
        `On ${f.node.name}, for the migration: ALTER SYSTEM SET spock.deny_all_ddl = off; SELECT pg_reload_conf();  (set it back after the cutover).`,
      );
    }
    const enabled = SPOCK_LOCAL_DDL_SETTINGS.filter((s) => on(p.ddl[s.slice('spock.'.length) as keyof typeof p.ddl]));
    if (enabled.length) {
      return info(
        `${enabled.join(', ')} on: the migration's sessions turn ${enabled.length === 1 ? 'it' : 'them'} off for themselves`,
        "The restore, the sequences' conversion and abort --drop-data run on each node by themselves; with these on, Spock would send their DDL to the other nodes too. Other sessions keep the cluster's setting: after the cutover, DDL run on one node reaches the others.",
      );
    }
    return info(
      'spock.enable_ddl_replication is off',
      'Nothing to do for the migration. After the cutover, schema changes must be made on every node (or through spock.replicate_ddl).',
    );
  },
};
