import { listed } from '../finding.js';
import { error, info, type NodeRule } from '../rule.js';

const WHY = 'Under cutover.sequences.strategy snowflake, each node hands out ids stamped with its snowflake.node: unset, snowflake.nextval fails; equal on two nodes, they can hand out the same id.';

export const rule: NodeRule = {
  id: 'node.snowflake',
  target: 'node',
  severity: 'error',
  title: 'under strategy snowflake, a pgedge node has Snowflake and a snowflake.node no other node has',
  docs: { why: WHY, fix: 'On each node: CREATE EXTENSION snowflake; ALTER SYSTEM SET snowflake.node = <1..1023, distinct per node>; SELECT pg_reload_conf();' },
  check: (f) => {
    const s = f.pgedge?.snowflake;
    if (!s) return undefined;
    const name = f.node.name;
    const problems: string[] = [];
    const fixes: string[] = [];
    if (!s.created) {
      problems.push(`the snowflake extension is not ${s.available ? 'created in this database' : 'installed on this server'}`);
      fixes.push(s.available ? 'CREATE EXTENSION snowflake;' : `install pgEdge's Snowflake on ${name}'s server`);
    }
    const set = s.node !== null && s.node !== '0';
    const same = s.peers.filter((p) => set && p.node === s.node).map((p) => p.name);
    if (!set) problems.push('snowflake.node is not set');
    if (same.length) problems.push(`snowflake.node is ${s.node}, as on ${listed(same)}`);
    if (!set || same.length) {
      const taken = new Set(s.peers.map((p) => p.node).filter((v): v is string => v !== null));
      let free = 1;
      while (taken.has(String(free))) free++;
      fixes.push(`ALTER SYSTEM SET snowflake.node = ${free}; SELECT pg_reload_conf();`);
    }
    if (problems.length) return error(problems.join('; '), WHY, `On ${name}: ${fixes.join('  ')}`);
    const others = s.peers.map((p) => `${p.name}: ${p.node ?? p.error ?? 'not set'}`);
    return info(`snowflake.node = ${s.node}${others.length ? ` (${others.join(', ')})` : ''}: distinct`, 'Ids this node hands out after the cutover carry its node number.');
  },
};
