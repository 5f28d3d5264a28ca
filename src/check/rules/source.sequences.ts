import { plural } from '../finding.js';
import { info, type SourceRule } from '../rule.js';

const WHY = "Logical replication does not carry sequence values: after catch-up the nodes' sequences still hold the dump's values. The cutover sets them from the frozen source.";

export const rule: SourceRule = {
  id: 'source.sequences',
  target: 'source',
  severity: 'info',
  title: 'sequences, set by the cutover, are counted',
  docs: { why: WHY, fix: 'Nothing to do: the cutover copies them (cutover.sequences).' },
  check: (f, { plan }) => {
    if (!f.sequences) return undefined;
    const strategy = plan.cutover.sequences.strategy;
    return info(`${plural(f.sequences, 'sequence')}: handled at cutover${strategy ? ` (cutover.sequences.strategy: ${strategy})` : ''}`, WHY);
  },
};
