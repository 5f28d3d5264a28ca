// Checks of this machine: the client programs apply and cutover run, and the
// disk the dump is written to.
import { execa } from 'execa';
import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { toolPath } from '../render/commands.js';
import { dumpDir } from '../plan/load.js';
import { formatBytes } from '../pg/replication-state.js';
import type { Finding } from './finding.js';
import { majorOfToolVersion, probe, type CheckResult } from './session.js';
import type { CheckContext, SourceFacts } from './context.js';

export const TOOL_CHECKS = ['tools.pg_dump', 'tools.pg_restore', 'tools.vacuumdb', 'tools.dump_disk'] as const;

type ToolCheckId = (typeof TOOL_CHECKS)[number];

const finding = (id: ToolCheckId, severity: Finding['severity'], found: string, why: string, fix?: string): Finding => ({ id, severity, target: 'tools', found, why, ...(fix ? { fix } : {}) });

interface ToolVersion {
  path: string;
  /** What --version printed, or why it could not run. */
  text: string;
  found: boolean;
  major?: number;
}

/** Where a bare program name resolves on PATH, for showing which one would run. */
function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function toolVersion(ctx: CheckContext, program: string): Promise<ToolVersion> {
  const path = toolPath(ctx.plan, program);
  const shown = ctx.plan.tools.bin_dir ? path : (onPath(program) ?? program);
  const r = await execa(path, ['--version'], { reject: false, timeout: 10_000, stdin: 'ignore' });
  if (r.failed && r.exitCode === undefined) {
    const why = (r as { code?: string }).code === 'ENOENT' ? 'not found' : r.timedOut ? 'timed out' : (r.shortMessage ?? 'could not be run');
    return { path: shown, text: why, found: false };
  }
  const text = `${r.stdout}`.trim() || `${r.stderr}`.trim();
  if (r.exitCode !== 0) return { path: shown, text: `exited ${r.exitCode}: ${text}`, found: false };
  return { path: shown, text, found: true, major: majorOfToolVersion(text) };
}

function installFix(ctx: CheckContext, major: number | string): string {
  return `Install the PostgreSQL ${major} client programs (Debian: apt-get install postgresql-client-${major}) and point tools.bin_dir at them (Debian: /usr/lib/postgresql/${major}/bin)${ctx.plan.tools.bin_dir ? `; tools.bin_dir is ${ctx.plan.tools.bin_dir} now` : ', or put them first on PATH'}.`;
}

export async function checkTools(ctx: CheckContext, source: SourceFacts | undefined): Promise<Finding[]> {
  const out: Finding[] = [];
  const run = async (id: ToolCheckId, fn: () => Promise<CheckResult>) => out.push(...(await probe(id, 'tools', fn)));
  const wanted = source ? source.major : '<source major>';
  const [dump, restore] = await Promise.all([toolVersion(ctx, 'pg_dump'), toolVersion(ctx, 'pg_restore')]);

  for (const [id, tool, program, role] of [
    ['tools.pg_dump', dump, 'pg_dump', 'takes the dump at the snapshot anchor'],
    ['tools.pg_restore', restore, 'pg_restore', 'restores the dump onto every node'],
  ] as const) {
    await run(id, async () => {
      if (!tool.found) return finding(id, 'error', `${program} at ${tool.path}: ${tool.text}`, `apply runs ${program}, which ${role}.`, installFix(ctx, wanted));
      if (tool.major === undefined) return finding(id, 'warning', `${tool.path} --version printed "${tool.text}", which names no PostgreSQL version`, `${program} must be PostgreSQL's own, of the source's major version or newer.`, installFix(ctx, wanted));
      if (source && tool.major < source.major) {
        return finding(
          id,
          'error',
          `${tool.text} (${tool.path}) is older than the source's PostgreSQL ${source.version}`,
          program === 'pg_dump' ? 'pg_dump refuses to dump a server of a newer major version ("aborting because of server version mismatch").' : 'pg_restore must understand everything a PostgreSQL ' + source.major + ' dump contains.',
          installFix(ctx, source.major),
        );
      }
      if (program === 'pg_restore' && dump.major !== undefined && tool.major < dump.major) {
        return finding(id, 'error', `${tool.text} (${tool.path}) is older than pg_dump (${dump.text})`, 'pg_restore cannot read an archive written by a newer pg_dump ("unsupported version in file header").', installFix(ctx, dump.major));
      }
      return finding(id, 'info', `${tool.text} (${tool.path})`, source ? `Not older than the source (PostgreSQL ${source.major}).` : 'The source could not be read, so its version was not compared.');
    });
  }

  if (ctx.plan.cutover.vacuum) {
    await run('tools.vacuumdb', async () => {
      const v = await toolVersion(ctx, 'vacuumdb');
      if (v.found) return undefined;
      return finding('tools.vacuumdb', 'warning', `vacuumdb at ${v.path}: ${v.text}`, 'The cutover rebuilds statistics on every node with vacuumdb (cutover.vacuum); without it that step fails after the switch.', `${installFix(ctx, wanted)} Or set cutover.vacuum: false and ANALYZE the nodes yourself.`);
    });
  }

  await run('tools.dump_disk', async () => {
    const dir = dumpDir(ctx.loaded, ctx.stateDir);
    let probeDir = dir;
    // The dump directory is created by apply: measure the filesystem it will be created on.
    while (!existsSync(probeDir) && dirname(probeDir) !== probeDir) probeDir = dirname(probeDir);
    const fs = statfsSync(probeDir);
    const free = Number(fs.bavail) * Number(fs.bsize);
    const shownDir = isAbsolute(dir) ? dir : resolve(dir);
    if (!source) return finding('tools.dump_disk', 'info', `${formatBytes(free)} free under ${shownDir}`, 'The source could not be read, so its size was not compared.');
    const needed = source.published_size ?? source.database_size;
    const neededText = `${source.published_size !== null ? 'the published tables hold' : 'the database is'} ${formatBytes(needed)}`;
    if (free >= needed) return finding('tools.dump_disk', 'info', `${formatBytes(free)} free under ${shownDir}; ${neededText}`, 'Room for the dump, even uncompressed.');
    const compressed = ctx.plan.dump.compress !== 0;
    return finding(
      'tools.dump_disk',
      compressed ? 'warning' : 'error',
      `${formatBytes(free)} free under ${shownDir}; ${neededText}`,
      compressed
        ? 'A compressed dump is usually several times smaller than the tables, but not always (already compressed or random data): if the disk fills, the dump fails and the slots keep holding WAL on the source until apply is rerun.'
        : 'With dump.compress: 0 the dump is about as large as the tables: it would fill the disk and fail, with the slots holding WAL on the source meanwhile.',
      `Free space there, or point dump.directory at a larger filesystem${compressed ? '' : ', or enable compression (dump.compress)'}.`,
    );
  });
  return out;
}
