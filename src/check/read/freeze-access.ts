// What the cutover's builtin freeze needs of the source role beyond its own
// database: a session on another database of the server (the same attempt as
// the cutover's, connectMaintenance), the right to ALTER the database, and
// to see and end every other role's session of it.
// Opening a session changes nothing; it is closed at once.
import type pg from 'pg';
import { openMaintenance } from '../../pg/connect.js';
import { readFreezePrivileges } from '../../pg/write-freeze.js';
import type { CheckContext } from '../context.js';
import type { FreezeAccess } from '../facts.js';

export async function readFreezeAccess(c: pg.Client, ctx: CheckContext): Promise<FreezeAccess | undefined> {
  if (ctx.plan.cutover.freeze === 'hook') return undefined;
  const { client, refused } = await openMaintenance(ctx.plan.source.dsn);
  const via = client?.database;
  await client?.end().catch(() => undefined);
  // ALTER DATABASE asks for the owner's privileges: the owner, a member of it, or a superuser (pg_has_role says yes to one).
  const { rows } = await c.query<{ owner: string; may_alter: boolean; client_addr: string | null }>(
    `SELECT pg_get_userbyid(datdba) AS owner, pg_has_role(current_user, datdba, 'USAGE') AS may_alter, host(inet_client_addr()) AS client_addr
       FROM pg_database WHERE datname = current_database()`,
  );
  // The same question the freeze asks before it freezes (tasks/freeze-writes.ts).
  const { may_see_sessions, may_signal } = await readFreezePrivileges(c);
  return { via, refused, ...rows[0], may_see_sessions, may_signal };
}
