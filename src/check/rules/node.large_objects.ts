import { plural } from '../finding.js';
import { dumpCarriesLargeObjects } from '../../pg/large-objects.js';
import { error, info, type NodeRule } from '../rule.js';

const WHY = "The restore gives each large object the source's oid and stops at one the node already has (duplicate key in pg_largeobject_metadata); others would make verify and the cutover report the node as different.";

export const rule: NodeRule = {
  id: 'node.large_objects',
  target: 'node',
  severity: 'error',
  title: 'the node holds no large objects of its own',
  docs: { why: WHY, fix: 'If an earlier run of this plan restored them: migrate abort PLAN --drop-data. Otherwise, if they are not needed: SELECT lo_unlink(oid) FROM pg_largeobject_metadata;' },
  check: (f, ctx) => {
    if (!f.large_objects || !dumpCarriesLargeObjects(ctx.plan)) return undefined;
    if (ctx.started.has(`restore:${f.node.name}`)) return info(`${plural(f.large_objects, 'large object')} in the node's database`, "The restore of this plan has started here: they are the restore's own.");
    return error(
      `already holds ${plural(f.large_objects, 'large object')}`,
      WHY,
      `If an earlier run of this plan restored them: migrate abort ${ctx.loaded.file} --drop-data. Otherwise, on ${f.node.name}, if they are not needed: SELECT lo_unlink(oid) FROM pg_largeobject_metadata;`,
    );
  },
};
