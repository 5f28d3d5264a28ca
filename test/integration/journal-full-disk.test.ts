// A state directory whose disk fills up: the journal is never replaced by a
// truncated one. The run stops at the write that failed, says so, and the old
// journal lets status, cutover and abort go on once there is room again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startClusters, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, SAMPLE_SCHEMA } from './support.js';

/** A small tmpfs needs mount privileges (root in CI and here); elsewhere the unit tests of the write path stand in. */
function tryMount(dir: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]).status === 0;
}

const mountPoint = tempDir('full-disk-state');
const mounted = tryMount(mountPoint);
let source: Cluster, n1: Cluster;

beforeAll(async () => {
  if (!mounted) return;
  [source, n1] = await startClusters(['source', 'n1']);
});

afterAll(async () => {
  await Promise.all([source, n1].filter(Boolean).map((c) => c.stop()));
  if (mounted) spawnSync('umount', [mountPoint]);
});

function fill(dir: string, leavePages: number): string {
  const filler = join(dir, 'filler');
  spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4096']); // until ENOSPC
  truncateSync(filler, statSync(filler).size - leavePages * 4096);
  return filler;
}

describe.skipIf(!mounted)('a state directory on a full disk', () => {
  it('stops the cutover before it freezes anything, leaves the old journal intact, and status and abort still work', async () => {
    const db = 'full_disk';
    await Promise.all([source, n1].map((c) => c.createDatabase(db)));
    await source.exec(SAMPLE_SCHEMA, db);
    const dir = tempDir('full-disk');
    // Hooks that do nothing make the journal longer than a page, as a real plan's is.
    const hooks = 'hooks:\n' + Array.from({ length: 30 }, (_, i) => `  - name: note-${i}\n    after: catch-up\n    run: "true"`).join('\n');
    const { file, env } = writePlan(dir, { name: 'full-disk', source, nodes: [n1], db, extra: hooks });
    const state = join(mountPoint, 'state');
    const applied = await runCli(['apply', file, '--state-dir', state], { cwd: dir, env });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const journal = join(state, 'journal.json');
    const before = readFileSync(journal, 'utf8');
    expect(before.length).toBeGreaterThan(4096); // bigger than the room left below: the write comes up short

    const filler = fill(mountPoint, 2); // one page for the lock, one for part of the journal
    const r = await runCli(['cutover', file, '--state-dir', state], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`could not write ${journal}`);
    expect(r.stderr).toContain('the previous journal is intact');
    expect(r.stderr).toContain('disk of the state directory is full');
    expect(r.stdout).not.toMatch(/start\s+\[freeze\]/);
    expect(readFileSync(journal, 'utf8')).toBe(before);
    const [{ default_transaction_read_only: ro }] = await source.query("SELECT coalesce((SELECT 'on' FROM pg_db_role_setting, unnest(setconfig) s WHERE s = 'default_transaction_read_only=on' LIMIT 1), 'off') AS default_transaction_read_only");
    expect(ro).toBe('off');

    const status = await runCli(['status', file, '--state-dir', state], { cwd: dir, env });
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toContain('Every node is streaming');

    truncateSync(filler, 0);
    const abort = await runCli(['abort', file, '--state-dir', state], { cwd: dir, env });
    expect(abort.code, abort.stdout + abort.stderr).toBe(0);
    expect(abort.stdout).toContain('removed slot full_disk_slot1');
  });
});
