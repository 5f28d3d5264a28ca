import { error, info, type NodeRule } from '../rule.js';
import { clashingNode, originClashFix, originIdsText } from '../../pg/spock-origins.js';

const WHY =
  "Spock stamps the rows it applies with its node id, PostgreSQL those a native subscription applies with its replication origin id, in one number space: the migration's subscription must not have a Spock node's id, or rows from the source would look as if that node had written them.";

export const rule: NodeRule = {
  id: 'node.origin_ids',
  target: 'node',
  severity: 'error',
  title: "a pgedge node's subscription origin id is no Spock node id",
  docs: { why: WHY, fix: "SELECT pg_replication_origin_create('pgedge_migrate_reserved_<id>'); on the node takes the clashing id, so that the subscription gets the next one." },
  check: (f) => {
    const p = f.pgedge;
    if (!p || !f.multimaster?.schema) return undefined;
    const { id, existing, spock_nodes } = p.origin;
    if (id === undefined || !spock_nodes.length) return undefined;
    const clash = clashingNode(id, spock_nodes);
    const whose = existing ? "the subscription's origin has" : "the subscription's origin will get (the lowest free one)";
    if (clash) return error(`${whose} id ${id}, the id of Spock node ${clash.name}`, WHY, originClashFix(f.node.name, id));
    return info(`${originIdsText(id, spock_nodes)}: no overlap (${whose} id ${id})`, 'apply checks it again when it creates the subscription, and refuses a clash.');
  },
};
