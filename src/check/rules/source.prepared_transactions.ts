import { quoteLiteral } from '../../render/quote.js';
import { listed, plural } from '../finding.js';
import { warning, type SourceRule } from '../rule.js';

const WHY = 'A prepared transaction stays open until someone commits or rolls it back, and slot creation waits for it like for any open transaction: apply would wait, then give up.';

export const rule: SourceRule = {
  id: 'source.prepared_transactions',
  target: 'source',
  severity: 'warning',
  title: 'no prepared (two-phase) transaction is pending',
  docs: { why: WHY, fix: "Have its transaction manager finish it, or by hand: COMMIT PREPARED '<gid>'; (or ROLLBACK PREPARED)." },
  check: (f) => {
    const rows = f.prepared_transactions;
    if (!rows.length) return undefined;
    return warning(
      `${plural(rows.length, 'prepared transaction')}: ${listed(rows.map((r) => `${r.gid} (${r.owner}@${r.database}, prepared ${r.age} s ago)`))}`,
      WHY,
      `Have its transaction manager finish it, or by hand: ${listed(rows.map((r) => `COMMIT PREPARED ${quoteLiteral(r.gid)};  -- or ROLLBACK PREPARED`), ' ')}`,
    );
  },
};
