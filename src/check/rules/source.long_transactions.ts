import { plural } from '../finding.js';
import { LONG_TRANSACTION_SECONDS } from '../facts.js';
import { warning, type SourceRule } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.long_transactions',
  target: 'source',
  severity: 'warning',
  title: `no write transaction has been open for over ${LONG_TRANSACTION_SECONDS} s`,
  docs: {
    why: 'Creating a logical slot waits until every transaction that has written (in any database of the server) has ended; apply gives up after source.lock_timeout_seconds.',
    fix: 'Let them finish before apply, or end them: SELECT pg_terminate_backend(<pid>);',
  },
  check: (f, { plan }) => {
    const rows = f.long_transactions;
    if (!rows.length) return undefined;
    return warning(
      `${plural(rows.length, 'write transaction')} open for over ${LONG_TRANSACTION_SECONDS} s: ${rows.map((r) => `pid ${r.pid} (${r.usename ?? '?'}@${r.datname ?? '?'}${r.application_name ? `, ${r.application_name}` : ''}, ${r.state ?? '?'}, ${r.age} s)`).join('; ')}`,
      `Creating a logical slot waits until every transaction that has written (in any database of the server) has ended; apply gives up after source.lock_timeout_seconds (${plan.source.lock_timeout_seconds} s).`,
      `Let them finish before apply, or end them: ${rows.map((r) => `SELECT pg_terminate_backend(${r.pid});`).join(' ')}`,
    );
  },
};
