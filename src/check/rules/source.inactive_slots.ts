import { quoteLiteral } from '../../render/quote.js';
import { formatBytes } from '../../pg/replication-state.js';
import { listed, plural } from '../finding.js';
import { warning, type SourceRule } from '../rule.js';

const WHY = "An inactive slot keeps every WAL segment since its position: it adds to what the migration's own slots hold while the dump and restores run, on the same disk.";

export const rule: SourceRule = {
  id: 'source.inactive_slots',
  target: 'source',
  severity: 'warning',
  title: "other inactive slots holding the source's WAL are named",
  docs: { why: WHY, fix: "If unused: SELECT pg_drop_replication_slot('<slot>');" },
  check: (f) => {
    const rows = f.inactive_slots;
    if (!rows.length) return undefined;
    return warning(
      `${plural(rows.length, 'inactive slot')}: ${listed(rows.map((s) => `${s.slot_name} (${s.slot_type}${s.database ? `, database ${s.database}` : ''}, holding ${formatBytes(s.retained === null ? null : Number(s.retained))} of WAL)`))}`,
      WHY,
      `If unused: ${listed(rows.map((s) => `SELECT pg_drop_replication_slot(${quoteLiteral(s.slot_name)});`), ' ')}`,
    );
  },
};
