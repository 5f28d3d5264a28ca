import { quoteIdent } from '../../render/quote.js';
import type { MaintenanceRefusal } from '../../pg/connect.js';
import type { FreezeAccess } from '../facts.js';
import { error, type SourceRule, type Verdict } from '../rule.js';
import { freezePrivilegesGrant, freezePrivilegesLacking } from '../../pg/write-freeze.js';

const WHY =
  "The cutover's freeze runs ALTER DATABASE ... ALLOW_CONNECTIONS false (and SET default_transaction_read_only) on the source database, which PostgreSQL allows only from another database of the same server, and only to the database's owner or a superuser. The tool opens that session as the plan's source role, on the database postgres, else template1: without it the cutover stops just before the freeze, with the nodes caught up and waiting.";

/** A role as pg_hba.conf spells it: names outside plain letters and digits in double quotes. */
function hbaName(name: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(name) ? name : `"${name}"`;
}

function hbaLine(database: string, role: string, addr: string | null): string {
  if (addr === null) return `local   ${database}   ${hbaName(role)}   scram-sha-256`;
  return `host    ${database}   ${hbaName(role)}   ${addr}/${addr.includes(':') ? 128 : 32}   scram-sha-256`;
}

/** The fix for the first database that exists but refused: the GRANT, or the pg_hba.conf line, it lacks. */
function connectFix(a: FreezeAccess, role: string): string {
  const first: MaintenanceRefusal = a.refused.find((r) => r.code !== '3D000') ?? a.refused[0];
  const grant = `GRANT CONNECT ON DATABASE ${quoteIdent(first.database)} TO ${quoteIdent(role)};`;
  const hba = `In pg_hba.conf, above the line that rejects it (the method as on the line that lets ${role} into its database):\n${hbaLine(first.database, role, a.client_addr)}\nthen, as a superuser: SELECT pg_reload_conf();`;
  if (first.code === '42501') return `On the source, as a superuser: ${grant}`;
  if (first.code === '28000') return `${hba}\n(On RDS and Aurora, where pg_hba.conf is not yours: ${grant})`;
  return `Let role ${role} connect to the database ${first.database} of the source's server: ${grant} and, if pg_hba.conf refuses it:\n${hbaLine(first.database, role, a.client_addr)}`;
}

function cannotConnect(a: FreezeAccess, role: string): Verdict {
  return error(
    `role ${role} cannot connect to the database postgres or template1 of the source's server (${a.refused.map((r) => `${r.database}: ${r.message}`).join('; ')})`,
    WHY,
    connectFix(a, role),
  );
}

function mayNotAlter(a: FreezeAccess, role: string, database: string): Verdict {
  const db = quoteIdent(database);
  return error(
    `role ${role} may not ALTER DATABASE ${database} (its owner is ${a.owner}, and ${role} is neither that role, a member of it, nor a superuser)`,
    WHY,
    `Give the database to the source role: ALTER DATABASE ${db} OWNER TO ${quoteIdent(role)};  or make it a member of the owner: GRANT ${quoteIdent(a.owner)} TO ${quoteIdent(role)};  (on RDS and Aurora, run as the master user; only the owner may, rds_superuser is not enough). Or run the migration as a superuser, or freeze with your own hook (cutover.freeze: hook).`,
  );
}

function sessionsOutOfReach(a: FreezeAccess, role: string): Verdict {
  return error(
    `role ${role} may not ${freezePrivilegesLacking({ role, ...a })} other roles' sessions of the source database, and is not a superuser`,
    "The builtin freeze ends every other client session of the source database, found in pg_stat_activity, and the fence looks there again before the switch. Without pg_read_all_stats another role's session shows no backend_type: the freeze passes over it and it can keep writing after the freeze, behind the nodes' back. Without pg_signal_backend ending it fails, and the cutover is called off (it refuses to freeze without both). A superuser's session only a superuser may end.",
    `On the source, as a superuser: ${freezePrivilegesGrant({ role, ...a })} (on RDS and Aurora rds_superuser has both), or run the migration as a superuser.`,
  );
}

export const rule: SourceRule = {
  id: 'source.freeze_access',
  target: 'source',
  severity: 'error',
  title: "the source role can freeze the source database: close it (from postgres or template1, as its owner) and end every other session of it",
  docs: {
    why: `${WHY} It then ends every other session of the database, which takes pg_read_all_stats (to see another role's session at all) and pg_signal_backend.`,
    fix: 'GRANT CONNECT ON DATABASE postgres TO <role>; and a pg_hba.conf line that lets <role> into postgres; ALTER DATABASE <db> OWNER TO <role>; GRANT pg_read_all_stats, pg_signal_backend TO <role>; (or run as a superuser, or cutover.freeze: hook).',
  },
  check: (f) => {
    const a = f.freeze_access;
    if (!a) return undefined;
    const out: Verdict[] = [];
    if (!a.via) out.push(cannotConnect(a, f.user));
    if (!a.may_alter) out.push(mayNotAlter(a, f.user, f.database));
    if (!a.may_see_sessions || !a.may_signal) out.push(sessionsOutOfReach(a, f.user));
    return out;
  },
};
