// The roles the restore names: pg_dump writes ALTER ... OWNER TO and GRANT for
// them, and pg_restore --exit-on-error stops at the first role a node lacks.
import type pg from 'pg';
import type { CheckContext } from '../context.js';
import { notExtensionMember, type Scope } from './relation-scope.js';

export async function readRestoreRoles(c: pg.Client, ctx: CheckContext, scope: Scope, schemas: string[]): Promise<string[]> {
  const { no_owner, no_privileges } = ctx.plan.restore;
  const parts: string[] = [];
  const relations = `FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relpersistence <> 't' AND ${scope.where}`;
  const p = scope.params.length;
  const nsp = `n.nspname = ANY ($${p + 1}::text[])`;
  if (!no_owner) {
    parts.push(`SELECT pg_get_userbyid(c.relowner) AS role ${relations}`);
    parts.push(`SELECT pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE ${nsp}`);
    parts.push(`SELECT pg_get_userbyid(f.proowner) FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace WHERE ${nsp} AND ${notExtensionMember('pg_proc', 'f.oid')}`);
  }
  if (!no_privileges) {
    parts.push(
      `SELECT pg_get_userbyid(a.grantee) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE a.grantee <> 0 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relpersistence <> 't' AND ${scope.where}`,
    );
    parts.push(`SELECT pg_get_userbyid(a.grantee) FROM pg_namespace n, aclexplode(n.nspacl) a WHERE a.grantee <> 0 AND ${nsp}`);
  }
  if (!parts.length) return [];
  const r = await c.query<{ role: string }>(`SELECT DISTINCT role FROM (${parts.join(' UNION ')}) x ORDER BY 1`, [...scope.params, schemas]);
  return r.rows.map((x) => x.role);
}
