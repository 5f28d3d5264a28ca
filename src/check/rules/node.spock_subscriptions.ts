import { listed, plural } from '../finding.js';
import { error, warning, type NodeRule } from '../rule.js';

const WHY = 'After the cutover, writes on one node reach the others only through the Spock subscriptions between them; one that is not replicating leaves its peer behind, and its slot there holds WAL.';

export const rule: NodeRule = {
  id: 'node.spock_subscriptions',
  target: 'node',
  severity: 'error',
  title: "a pgedge node's Spock subscriptions to the other nodes are all replicating",
  docs: { why: WHY, fix: "On the node: SELECT * FROM spock.sub_show_status(); read its server log; re-enable one with spock.sub_enable(...), or recreate it with spock.sub_create(..., forward_origins := '{}')." },
  check: (f, ctx) => {
    const p = f.pgedge;
    if (!p || !f.multimaster?.schema) return undefined; // no Spock: reported by node.spock
    const peers = ctx.plan.nodes.filter((n) => n.kind === 'pgedge' && n.name !== f.node.name).length;
    const idle = p.spock_status.filter((s) => s.status !== 'replicating');
    if (idle.length) {
      return error(
        `${plural(idle.length, 'Spock subscription')} not replicating: ${listed(idle.map((s) => `${s.name} (from ${s.provider}): ${s.status}`))}`,
        WHY,
        `On ${f.node.name}: SELECT * FROM spock.sub_show_status();  and its server log; SELECT spock.sub_enable(<name>); for a disabled one.`,
      );
    }
    if (p.spock_status.length < peers) {
      return warning(
        `${plural(p.spock_status.length, 'Spock subscription')} from other nodes, and the plan has ${plural(peers, 'other pgedge node')}`,
        'A node that subscribes to fewer peers than the cluster has does not receive the writes made on the others after the cutover.',
        `On ${f.node.name}, for each other node: SELECT spock.sub_create(<name>, <that node's dsn>, '{default,default_insert_only,ddl_sql}', false, false, '{}');`,
      );
    }
    return undefined;
  },
};
