// The runbook as a procedure: this test follows the Markdown `migrate runbook`
// generates for the sandbox plan, as a DBA without the tool would, with psql
// and a shell, under a write load. It runs every step's code in order,
// substituting only the marked values (`****` passwords, `<column>` values an
// earlier step returned), runs every Check, and then expects exactly what
// `migrate apply` and `migrate cutover` leave: the runbook and the executor
// cannot drift apart unnoticed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { startClusters, startWriteLoad, compareClusters, userTables, PG_BIN, type Cluster } from '../harness/index.js';
import { runCli, tempDir, databaseClosed, openForReading, ROOT, SAMPLE_SCHEMA, SAMPLE_LOAD } from './support.js';
import { readSourceSequences, sequenceStatements } from '../../src/pg/sequences.js';

let source: Cluster, n1: Cluster, n2: Cluster;

beforeAll(async () => {
  [source, n1, n2] = await startClusters(['source', 'n1', 'n2']);
});

afterAll(async () => {
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
});

// ---- the runbook, parsed -------------------------------------------------

interface Block {
  heading: string;
  lang?: string;
  code?: string;
  note?: string;
}
interface Check {
  text: string;
  on?: string;
  sql?: string;
}
interface RunbookStep {
  title: string;
  blocks: Block[];
  check?: Check;
}
interface Runbook {
  dsns: Map<string, string>;
  prerequisites: Check[];
  steps: RunbookStep[];
}

/** `door`: the Part 3 followed after the cutover (with cutover.fallback): 3b finalizes, 3a rolls back. */
function parseRunbook(md: string, door: '3a' | '3b' = '3b'): Runbook {
  const lines = md.split('\n');
  const dsns = new Map<string, string>();
  const src = /^- \*\*Source:\*\* `([^`]+)`/m.exec(md);
  dsns.set('source', src![1]);
  for (const m of (/^- \*\*Nodes:\*\* (.*)$/m.exec(md)![1]).matchAll(/`([^`]+)` \([^,]+, `([^`]+)`\)/g)) dsns.set(m[1], m[2]);
  const prerequisites: Check[] = [];
  const steps: RunbookStep[] = [];
  let section = '';
  let step: RunbookStep | undefined;
  let pendingCheck: Check | undefined;
  let pendingBlock: Block | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('## ')) {
      section = line.slice(3);
      step = undefined;
      pendingBlock = pendingCheck = undefined;
      continue;
    }
    // The ways through with cutover.fallback: apply, cutover, then finalize (Part 3b) or rollback (Part 3a), the other door.
    const inSteps = section.startsWith('Part ') && !section.startsWith(door === '3b' ? 'Part 3a' : 'Part 3b');
    if (inSteps && /^### \d+\. /.test(line)) {
      step = { title: line.replace(/^### /, ''), blocks: [] };
      steps.push(step);
      pendingBlock = pendingCheck = undefined;
      continue;
    }
    if (line.startsWith('```') && line.length > 3 && !line.startsWith('```mermaid')) {
      const lang = line.slice(3);
      const body: string[] = [];
      while (!lines[++i].startsWith('```')) body.push(lines[i]);
      if (pendingCheck) pendingCheck.sql = body.join('\n');
      else if (pendingBlock) Object.assign(pendingBlock, { lang, code: body.join('\n') });
      continue;
    }
    const check = /^\*\*Check:\*\* (.*?)(?: \(on ([^)]+)\))?$/.exec(line);
    if (check) {
      pendingCheck = { text: check[1], on: check[2] };
      if (section === 'Before you start') prerequisites.push(pendingCheck);
      else if (step) step.check = pendingCheck;
      continue;
    }
    if (step && !pendingCheck && line.startsWith('> ') && pendingBlock) {
      pendingBlock.note = line.slice(2);
      continue;
    }
    if (step && /^(SQL on|Replication protocol command|Shell|Watch).*:$/.test(line)) {
      pendingBlock = { heading: line.slice(0, -1) };
      step.blocks.push(pendingBlock);
    }
  }
  return { dsns, prerequisites, steps };
}

/** The places a heading names, in order: "the source", "every node", or a node's name. */
function placesIn(text: string, nodes: string[]): string[] {
  const found: string[] = [];
  if (/^SQL on another database of the source's server/.test(text)) return ['source-server'];
  const server = /^SQL on another database of ([a-z0-9_-]+)'s server/.exec(text);
  if (server) return [`server:${server[1]}`];
  for (const m of text.matchAll(/\b(?:on|run on|and on) (the source|every node|[a-z0-9_-]+)(?: \([^)]*\))?/g)) {
    const w = m[1] === 'the source' ? 'source' : m[1];
    if (w === 'every node') found.push(...nodes);
    else if (w === 'source' || nodes.includes(w)) found.push(w);
  }
  return found;
}

// ---- following it --------------------------------------------------------

/**
 * One psql kept open on the source, as a DBA keeps a terminal: from the freeze
 * on, the database takes no new connection, and the steps after it still run
 * there. Each block is followed by an \\echo marker to know where its output ends.
 */
class SourceSession {
  private out = '';
  private err = '';
  private exited = false;
  private seq = 0;
  private readonly child: ResultPromise;

  constructor(dsn: string, env: NodeJS.ProcessEnv) {
    this.child = execa(join(PG_BIN, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--csv', '-d', dsn], { stdin: 'pipe', env, reject: false, buffer: false });
    this.child.stdout!.setEncoding('utf8');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => (this.out += d));
    this.child.stderr!.on('data', (d: string) => (this.err += d));
    void this.child.then(() => (this.exited = true));
  }

  async run(sql: string, tuplesOnly: boolean): Promise<string> {
    const marker = `__by_hand_${++this.seq}__`;
    const [pre, post] = tuplesOnly ? ['\\pset format unaligned\n\\pset tuples_only on\n', '\\pset format csv\n\\pset tuples_only off\n'] : ['', ''];
    this.out = '';
    this.child.stdin!.write(`${pre}${sql}\n${post}\\echo ${marker}\n`);
    const deadline = Date.now() + 60_000;
    while (!this.out.includes(`${marker}\n`)) {
      expect(this.exited, `psql on the source stopped at: ${sql}\n${this.err}`).toBe(false);
      expect(Date.now() < deadline, `psql on the source answered: ${sql}`).toBe(true);
      await sleep(10);
    }
    return this.out.slice(0, this.out.indexOf(`${marker}\n`)).replace(/\n$/, '');
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    await this.child;
  }
}

/** The source's DSN pointed at its server's postgres database, for what the frozen database itself would refuse. */
function serverDsn(dsn: string): string {
  if (dsn.includes('://')) {
    const u = new URL(dsn);
    u.pathname = '/postgres';
    return u.toString();
  }
  return /\bdbname=\S+/.test(dsn) ? dsn.replace(/\bdbname=\S+/, 'dbname=postgres') : `${dsn} dbname=postgres`;
}

class ByHand {
  readonly values = new Map<string, string>();
  source?: SourceSession;
  readonly env = { ...process.env, PATH: `${PG_BIN}:${process.env.PATH}`, PGOPTIONS: '-c default_transaction_read_only=off', PGCONNECT_TIMEOUT: '10' };
  replication?: { child: ResultPromise; output: string[] };
  keepNodeSessions = false;
  readonly nodeSessions = new Map<string, SourceSession>();

  constructor(
    readonly runbook: Runbook,
    readonly passwords: Map<number, string>,
    readonly planDir: string,
  ) {}

  get nodes(): string[] {
    return [...this.runbook.dsns.keys()].filter((k) => k !== 'source');
  }

  /** `****` is the password of the one server the same line names by its port; `<name>` a value an earlier step returned. */
  fill(text: string): string {
    const withPasswords = text
      .split('\n')
      .map((line) => {
        if (!line.includes('****')) return line;
        const ports = [...new Set([...line.matchAll(/(?:port=|:)(\d{4,5})\b/g)].map((m) => Number(m[1])))].filter((p) => this.passwords.has(p));
        expect(ports, `one server on the line: ${line}`).toHaveLength(1);
        return line.replaceAll('****', this.passwords.get(ports[0])!);
      })
      .join('\n');
    return withPasswords.replace(/<([a-z_]+)>/g, (m, name: string) => {
      const v = this.values.get(name);
      expect(v, `a value for ${m}, returned by an earlier step`).toBeDefined();
      return v!;
    });
  }

  dsn(where: string): string {
    if (where === 'source-server') return serverDsn(this.dsn('source'));
    if (where.startsWith('server:')) return serverDsn(this.dsn(where.slice('server:'.length)));
    return this.fill(this.runbook.dsns.get(where)!);
  }

  async psql(where: string, sql: string, opts: { tuplesOnly?: boolean; oneTransaction?: boolean } = {}): Promise<string> {
    if (where === 'source' && !opts.oneTransaction) {
      this.source ??= new SourceSession(this.dsn('source'), this.env);
      return this.source.run(sql, Boolean(opts.tuplesOnly));
    }
    // From the rollback's readiness check on, one session kept per node, as the runbook says: the nodes' freeze closes them to new ones.
    if (this.keepNodeSessions && this.nodes.includes(where) && !opts.oneTransaction) {
      let kept = this.nodeSessions.get(where);
      if (!kept) this.nodeSessions.set(where, (kept = new SourceSession(this.dsn(where), this.env)));
      return kept.run(sql, Boolean(opts.tuplesOnly));
    }
    const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...(opts.tuplesOnly ? ['-At'] : ['--csv']), ...(opts.oneTransaction ? ['-1'] : []), '-d', this.dsn(where)];
    const r = await execa(join(PG_BIN, 'psql'), args, { input: sql, env: this.env, reject: false });
    expect(r.exitCode, `psql on ${where}: ${sql}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }

  /** Rows of a --csv result, and every column's first value remembered for later `<column>` references. */
  remember(csv: string): Record<string, string>[] {
    const rows = parseCsv(csv);
    if (rows.length < 1) return [];
    const [header, ...data] = rows;
    const records = data.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
    if (records[0]) for (const [k, v] of Object.entries(records[0])) this.values.set(k, v);
    return records;
  }

  async sql(where: string, code: string): Promise<Record<string, string>[]> {
    const records: Record<string, string>[] = [];
    for (const w of where === 'every node' ? this.nodes : [where]) records.push(...this.remember(await this.psql(w, this.fill(code))));
    return records;
  }

  /** The anchor: a replication session kept open, idle, until the dump has finished. */
  async openReplication(code: string): Promise<void> {
    const info = this.dsn('source');
    const dsn = info.includes('://') ? `${info}${info.includes('?') ? '&' : '?'}replication=database` : `${info} replication=database`;
    const child = execa(join(PG_BIN, 'psql'), ['-X', '-q', '--csv', '-d', dsn], { stdin: 'pipe', env: this.env, reject: false, buffer: false });
    const output: string[] = [];
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => output.push(...d.split('\n').filter(Boolean)));
    this.replication = { child, output };
    child.stdin!.write(this.fill(code) + '\n');
    const deadline = Date.now() + 15_000;
    while (output.length < 2 && Date.now() < deadline) await sleep(20);
    expect(output.length, 'the replication command answered').toBeGreaterThanOrEqual(2);
    this.remember(output.join('\n'));
  }

  async closeReplication(): Promise<void> {
    if (!this.replication) return;
    this.replication.child.stdin!.end();
    await this.replication.child;
    this.replication = undefined;
  }

  async shell(code: string): Promise<void> {
    const r = await execa('/bin/sh', ['-c', this.fill(code)], { cwd: this.planDir, env: this.env, reject: false });
    expect(r.exitCode, `${code}\n${r.stderr.slice(-2000)}`).toBe(0);
  }

  /** "Repeat until every row shows C [and C]...", each C one of `column ≤ N`, `column = t`, `column not null`. */
  async watch(where: string, code: string, text: string): Promise<void> {
    const shows = /every row shows (.*)$/.exec(text)?.[1] ?? '';
    const tests: ((r: Record<string, string>) => boolean)[] = [];
    for (const m of shows.matchAll(/(\w+) ≤ (-?\d+)/g)) tests.push((r) => r[m[1]] !== undefined && r[m[1]] !== '' && Number(r[m[1]]) <= Number(m[2]));
    for (const m of shows.matchAll(/(\w+) = t\b/g)) tests.push((r) => r[m[1]] === 't');
    for (const m of shows.matchAll(/(\w+) not null/g)) tests.push((r) => r[m[1]] !== undefined && r[m[1]] !== '');
    expect(tests.length, `a condition to watch for: ${text}`).toBeGreaterThan(0);
    const deadline = Date.now() + 60_000;
    while (true) {
      const rows = this.remember(await this.psql(where, this.fill(code)));
      const done = rows.length > 0 && rows.every((r) => tests.every((t) => t(r)));
      if (done) return;
      expect(Date.now() < deadline, `watching: ${text}\n${JSON.stringify(rows)}`).toBe(true);
      await sleep(100);
    }
  }

  async check(c: Check): Promise<void> {
    if (!c.sql) return;
    await this.sql(c.on ?? 'source', c.sql);
  }

  async runBlock(step: RunbookStep, b: Block): Promise<void> {
    const places = placesIn(b.heading, this.nodes);
    if (b.heading.startsWith('Replication protocol command')) return this.openReplication(b.code!);
    if (b.heading.startsWith('Shell')) return this.shell(b.code!);
    if (b.heading.startsWith('Watch')) {
      if (b.code) await this.watch(places[0], b.code, b.note ?? '');
      return; // a watch without SQL is for the operator (redirect the application)
    }
    expect(b.heading.startsWith('SQL on'), b.heading).toBe(true);
    if (/which prints the statements to run on/.test(b.heading)) {
      const statements = await this.psql(places[0], this.fill(b.code!), { tuplesOnly: true });
      await this.psql(places[1], statements + '\n', { oneTransaction: true });
    } else if (/which prints a query to run on/.test(b.heading)) {
      const query = await this.psql(places[0], this.fill(b.code!), { tuplesOnly: true });
      const results = await Promise.all(places.slice(1).map((w) => this.psql(w, query, { tuplesOnly: true })));
      expect(results[0].split('\n').length, `${step.title}: tables counted`).toBeGreaterThan(1);
      for (const r of results) expect(r, `${step.title}: results equal`).toBe(results[0]);
    } else {
      for (const w of b.heading.startsWith('SQL on every node') ? this.nodes : [places[0]]) await this.sql(w, b.code!);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += ch;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

// ---- what apply + cutover leave ---------------------------------------------

async function sequenceStates(c: Cluster, db: string): Promise<Record<string, { last_value: string; is_called: boolean; increment_by: string }>> {
  const out: Record<string, { last_value: string; is_called: boolean; increment_by: string }> = {};
  for (const { name, inc } of await c.query<{ name: string; inc: string }>("SELECT format('%I.%I', schemaname, sequencename) AS name, increment_by::text AS inc FROM pg_sequences ORDER BY 1", [], db)) {
    const [s] = await c.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${name}`, [], db);
    out[name] = { ...s, increment_by: inc };
  }
  return out;
}

/** What the cutover's sequence step leaves on node i, computed with the executor's own functions from the frozen source. */
async function expectedSequences(db: string, index: number, plan: { gap: bigint; nodes: number }): Promise<Record<string, { last_value: string; is_called: boolean; increment_by: string }>> {
  const client = new pg.Client({ host: source.host, port: source.port, user: 'postgres', password: source.password, database: db });
  await client.connect();
  try {
    const out: Record<string, { last_value: string; is_called: boolean; increment_by: string }> = {};
    for (const seq of await readSourceSequences(client, null)) {
      const name = (await client.query<{ n: string }>("SELECT format('%I.%I', $1::text, $2::text) AS n", [seq.schema, seq.name])).rows[0].n;
      let state = { last_value: String(seq.last_value ?? seq.start_value), is_called: seq.last_value !== null, increment_by: String(seq.increment_by) };
      for (const stmt of sequenceStatements(seq, 'interleave', plan.gap, index, plan.nodes)) {
        const inc = /INCREMENT BY (-?\d+)/.exec(stmt);
        const set = /setval\(.*, (-?\d+), (true|false)\)/.exec(stmt);
        if (inc) state = { ...state, increment_by: inc[1] };
        if (set) state = { ...state, last_value: set[1], is_called: set[2] === 'true' };
      }
      out[name] = state;
    }
    return out;
  } finally {
    await client.end();
  }
}

/** A fresh database shop on the three clusters, the sandbox plan beside a runbook generated from it, and someone to follow it. */
async function setUp(door: '3a' | '3b'): Promise<{ hand: ByHand; runbook: Runbook; dir: string; planDir: string }> {
  const db = 'shop';
  await Promise.all([source, n1, n2].map((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, [], 'postgres')));
  await Promise.all([source, n1, n2].map((c) => c.createDatabase(db)));
  await source.exec(SAMPLE_SCHEMA, db);
  const dir = tempDir(`by-hand-${door}`);
  const planDir = join(dir, 'plans');
  mkdirSync(planDir);
  // The dump path: its runbook names every command in full. A stream plan's runbook shows its copy as one
  // pattern for every table (COPY <schema>.<table> ...), which a person applies per table, not a script.
  writeFileSync(join(planDir, 'sandbox.yaml'), `${readFileSync(join(ROOT, 'plans', 'sandbox.yaml'), 'utf8')}copy:\n  method: dump\n`);
  const env = {
    SANDBOX_SOURCE_PASSWORD: source.password,
    SANDBOX_SOURCE_PORT: String(source.port),
    SANDBOX_N1_PASSWORD: n1.password,
    SANDBOX_N1_PORT: String(n1.port),
    SANDBOX_N2_PASSWORD: n2.password,
    SANDBOX_N2_PORT: String(n2.port),
  };
  const generated = await runCli(['runbook', 'plans/sandbox.yaml', '-o', 'runbook.md'], { cwd: dir, env });
  expect(generated.code, generated.stderr).toBe(0);
  const md = readFileSync(join(dir, 'runbook.md'), 'utf8');
  expect(md).not.toContain(dir); // portable: no path of the machine that generated it
  const runbook = parseRunbook(md, door);
  expect(runbook.steps.length).toBeGreaterThan(20);
  return { hand: new ByHand(runbook, new Map([source, n1, n2].map((c) => [c.port, c.password])), planDir), runbook, dir, planDir };
}

/** Every step's blocks in order, and its Check; a freeze's step again until its Check shows 0. */
async function follow(hand: ByHand, steps: RunbookStep[], after: (step: RunbookStep) => Promise<void>): Promise<void> {
  for (const step of steps) {
    if (/Check the fallback stream is running/.test(step.title)) hand.keepNodeSessions = true;
    for (const b of step.blocks) await hand.runBlock(step, b);
    if (step.check && /until this shows 0/.test(step.check.text)) {
      // The freeze: a session told to end may still be on its way out.
      const deadline = Date.now() + 15_000;
      while ((await hand.sql(step.check.on ?? 'source', step.check.sql!)).some((r) => Number(Object.values(r)[0]) !== 0)) {
        expect(Date.now() < deadline, step.title).toBe(true);
        for (const b of step.blocks) await hand.runBlock(step, b);
      }
    } else if (step.check) await hand.check(step.check);
    if (step.check && /close the anchor session/.test(step.check.text)) await hand.closeReplication();
    await after(step);
  }
}

async function closeAll(hand: ByHand): Promise<void> {
  await hand.closeReplication();
  await hand.source?.close();
  for (const s of hand.nodeSessions.values()) await s.close();
}

describe('the runbook, followed by hand', () => {
  it('its steps, run in order with psql and a shell under a write load, leave exactly what apply and cutover leave; every Check runs', async () => {
    const db = 'shop';
    const { hand, runbook, planDir } = await setUp('3b');
    for (const c of runbook.prerequisites) await hand.check(c);
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 150 });
    let loadStopped = false;
    try {
      await follow(hand, runbook.steps, async (step) => {
        if (/^\d+\. Freeze writes on the source/.test(step.title)) {
          const r = await load.stop();
          loadStopped = true;
          expect(r.transactions, 'the load ran until the freeze').toBeGreaterThan(100);
        }
      });
    } finally {
      await closeAll(hand);
      if (!loadStopped) await load.stop();
    }
    expect(existsSync(join(planDir, '.migrate', 'sandbox', 'dump')), 'the dump, removed at the end').toBe(false);

    // Exactly as `migrate apply` and `migrate cutover` leave it.
    const tables = await userTables(source, db);
    expect((await compareClusters([source, n1, n2], db, tables)).filter((t) => !t.equal)).toEqual([]);
    for (const [i, node] of [n1, n2].entries()) {
      expect(await sequenceStates(node, db), `sequences of ${node.name}`).toEqual(await expectedSequences(db, i, { gap: 1000n, nodes: 2 }));
      expect(await node.query('SELECT subname FROM pg_subscription')).toEqual([]);
    }
    expect(await source.query('SELECT slot_name FROM pg_replication_slots')).toEqual([]);
    expect(await source.query('SELECT pubname FROM pg_publication', [], db)).toEqual([]);
    const [ro] = await source.query<{ setconfig: string[] }>("SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = 'shop') AND setrole = 0");
    expect(ro.setconfig).toContain('default_transaction_read_only=on');
  }, 180_000);

  it('Part 3a (rollback) followed by hand after the cutover, with the application writing on n1 into the nodes\' freeze: the source equals n1, its sequences are past the nodes\', it takes the application\'s writes, the nodes stay closed', async () => {
    const db = 'shop';
    const { hand, runbook } = await setUp('3a');
    const part3a = runbook.steps.findIndex((st) => /Check the fallback stream is running/.test(st.title));
    expect(part3a).toBeGreaterThan(20);
    let load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 150 });
    let loadStopped = false;
    try {
      await follow(hand, runbook.steps.slice(0, part3a), async (step) => {
        if (/^\d+\. Freeze writes on the source/.test(step.title)) {
          await load.stop();
          loadStopped = true;
        }
      });
      // The application on the nodes now: its writes reach the source through the fallback stream until the nodes' freeze.
      load = startWriteLoad(n1, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
      loadStopped = false;
      await new Promise((r) => setTimeout(r, 2000));
      await follow(hand, runbook.steps.slice(part3a), async (step) => {
        if (/^\d+\. Freeze writes on every node/.test(step.title)) {
          const r = await load.stop();
          loadStopped = true;
          expect(r.transactions, 'the load on n1 ran until the nodes\' freeze').toBeGreaterThan(50);
        }
      });
    } finally {
      await closeAll(hand);
      if (!loadStopped) await load.stop();
    }
    // The nodes stay closed; opened here only to be compared.
    for (const n of [n1, n2]) expect(await databaseClosed(n, db), n.name).toBe(true);
    await openForReading(n1, db);
    const tables = await userTables(source, db);
    expect((await compareClusters([source, n1], db, tables)).filter((t) => !t.equal)).toEqual([]);
    expect(await source.query('SELECT subname FROM pg_subscription', [], db)).toEqual([]);
    expect(await n1.query('SELECT slot_name FROM pg_replication_slots')).toEqual([]);
    expect(await n1.query('SELECT pubname FROM pg_publication', [], db)).toEqual([]);
    // Past every value n1 handed out, and the application writes to the source again.
    const [used] = await n1.query<{ orders: string; customers: string }>('SELECT (SELECT max(id) FROM shop.orders)::text AS orders, (SELECT max(id) FROM shop.customers)::text AS customers', [], db);
    const back = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    await new Promise((r) => setTimeout(r, 1500));
    const result = await back.stop();
    expect(result.failed, result.stderr).toBe(false);
    expect(result.transactions).toBeGreaterThan(10);
    const [after] = await source.query<{ orders: string; customers: string }>("SELECT nextval('shop.orders_id_seq')::text AS orders, nextval('shop.customers_id_seq')::text AS customers", [], db);
    expect(BigInt(after.orders)).toBeGreaterThan(BigInt(used.orders));
    expect(BigInt(after.customers)).toBeGreaterThan(BigInt(used.customers));
    const [ro] = await source.query<{ setconfig: string[] | null }>("SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = 'shop') AND setrole = 0");
    expect(ro?.setconfig ?? []).not.toContain('default_transaction_read_only=on');
  }, 180_000);
});
