import { error, type SourceRule } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.primary',
  target: 'source',
  severity: 'error',
  title: 'the source is a primary, not a standby',
  docs: {
    why: 'Publications and the snapshot anchor are created on a primary; a standby refuses them. No other source check is made on a standby.',
    fix: 'Point source.dsn at the primary server.',
  },
  check: (f) => (f.standby ? error('the source is a standby (in recovery)', 'Publications and the snapshot anchor are created on a primary; a standby refuses them.', 'Point source.dsn at the primary server.') : undefined),
};
