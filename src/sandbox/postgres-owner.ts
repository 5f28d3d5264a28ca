// Under root every file a throwaway server touches must belong to the
// postgres OS user.
import { chown, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { IS_ROOT, SUPERUSER } from './pg-bin.js';

interface Owner {
  uid: number;
  gid: number;
}

let postgresOwner: Promise<Owner> | undefined;

function lookupPostgresOwner(): Promise<Owner> {
  // Node has no getpwnam; `id` goes through NSS so it also works with LDAP/sssd users.
  postgresOwner ??= (async () => {
    const [uid, gid] = await Promise.all([execa('id', ['-u', SUPERUSER]), execa('id', ['-g', SUPERUSER])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  })();
  return postgresOwner;
}

async function chownRecursive(target: string, owner: Owner): Promise<void> {
  await chown(target, owner.uid, owner.gid);
  const st = await stat(target);
  if (!st.isDirectory()) return;
  for (const entry of await readdir(target)) {
    await chownRecursive(path.join(target, entry), owner);
  }
}

export async function giveToPostgres(target: string): Promise<void> {
  if (!IS_ROOT) return;
  await chownRecursive(target, await lookupPostgresOwner());
}
