// The plan every bench writes: the source's database onto the same-named (or
// given) database of two nodes, passwords from SRC_PW, N1_PW and N2_PW.
import { writeFileSync } from 'node:fs';

/** Writes `file`; `tag` prefixes the publications, slots and subscriptions; `extra` are more top-level lines. */
export function writeTwoNodePlan(file, { name, tag, source, sourceDb, nodes: [n1, n2], nodeDb = sourceDb, bin, extra = [] }) {
  writeFileSync(file, [
    'version: 1', `name: ${name}`,
    `source: { dsn: "postgresql://postgres:\${SRC_PW}@127.0.0.1:${source.port}/${sourceDb}" }`,
    'nodes:',
    `  - { name: n1, dsn: "host=127.0.0.1 port=${n1.port} dbname=${nodeDb} user=postgres password=\${N1_PW}" }`,
    `  - { name: n2, dsn: "host=127.0.0.1 port=${n2.port} dbname=${nodeDb} user=postgres password=\${N2_PW}" }`,
    'replication:',
    `  - { node: n1, publication: ${tag}_p1, slot: ${tag}_s1, subscription: ${tag}_u1 }`,
    `  - { node: n2, publication: ${tag}_p2, slot: ${tag}_s2, subscription: ${tag}_u2 }`,
    ...extra,
    `tools: { bin_dir: ${bin} }`, '',
  ].join('\n'));
}
