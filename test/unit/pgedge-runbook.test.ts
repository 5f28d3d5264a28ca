// The runbook of a kind: pgedge plan shows every Spock and Snowflake statement
// the migration runs, at its place, with its check.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { renderRunbook } from '../../src/render/runbook.js';
import { restoreCommand } from '../../src/render/commands.js';
import { commandLine } from '../../src/render/steps.js';
import { FIXTURES, PASSWORDS, planFromFile } from './support.js';

const pgedge = planFromFile(join(FIXTURES, 'valid', 'pgedge-nodes.yaml'));
const md = renderRunbook(pgedge, { dumpDir: '/var/backups/app', facts: {}, file: 'plan.yaml' });
const step = (title: RegExp) => md.split(/\n### /).find((s) => title.test(s.split('\n')[0])) ?? '';
const checkOf = (s: string) => s.slice(s.indexOf('**Check:**'));

describe('the runbook of a pgEdge plan', () => {
  it('restores with Spock DDL replication off in every connection of pg_restore, and checks that nothing was queued (copy.method dump)', () => {
    const dumped = renderRunbook({ ...pgedge, copy: { ...pgedge.copy, method: 'dump' } }, { dumpDir: '/var/backups/app', facts: {}, file: 'plan.yaml' });
    const restore = dumped.split(/\n### /).find((s) => /Restore the dump onto n1/.test(s.split('\n')[0])) ?? '';
    expect(restore).toContain("options='\\''-c spock.enable_ddl_replication=off -c spock.include_ddl_repset=off -c spock.allow_ddl_from_functions=off'\\''");
    expect(checkOf(restore)).toContain("SELECT count(*) AS queued FROM spock.queue WHERE queued_at >= '<restore_started>';");
    expect(restore.indexOf('SELECT clock_timestamp() AS restore_started;')).toBeLessThan(restore.indexOf('pg_restore'));
  });

  it('notes the time before the pre-data restore and checks after the post-data one that Spock queued nothing (copy.method stream, the default)', () => {
    const pre = step(/Create the tables on n1 \(pre-data\)/);
    const post = step(/Build indexes, constraints and triggers on n1/);
    expect(pre.indexOf('SELECT clock_timestamp() AS restore_started;')).toBeLessThan(pre.indexOf('pg_restore'));
    for (const s of [pre, post]) expect(s).toContain("options='\\''-c spock.enable_ddl_replication=off -c spock.include_ddl_repset=off -c spock.allow_ddl_from_functions=off'\\''");
    expect(checkOf(post)).toContain("SELECT count(*) AS queued FROM spock.queue WHERE queued_at >= '<restore_started>';");
  });

  it('keeps a DSN\'s own options and adds the session settings after them', () => {
    const plan = { ...pgedge, nodes: pgedge.nodes.map((n) => ({ ...n, dsn: "host=a dbname=app options='-c work_mem=64MB' password=pw" })) };
    const line = commandLine({ type: 'command', command: restoreCommand(plan, 'n1', '/d') });
    expect(line).toContain("options='\\''-c work_mem=64MB -c spock.enable_ddl_replication=off");
    expect(line).not.toContain('pw ');
  });

  it('looks at the next origin id beside the Spock node ids before creating the subscription, and proves it after', () => {
    const sub = step(/Create subscription pgedge_sub01 on n1/);
    expect(sub.indexOf('AS next_origin_id')).toBeLessThan(sub.indexOf('CREATE SUBSCRIPTION'));
    expect(checkOf(sub)).toContain('LEFT JOIN spock.node n ON n.node_id = o.roident');
  });

  it('checks that every restored table is in a Spock replication set', () => {
    expect(checkOf(step(/Spock replication set default on n1/))).toContain('FROM spock.tables WHERE set_name IS NULL');
  });

  it('converts the sequences columns use before the freeze, in a session that keeps its DDL local', () => {
    const convert = step(/Convert the sequences columns use to Snowflake on n2, before the freeze/);
    const local = convert.indexOf('SET spock.enable_ddl_replication = off;');
    expect(local).toBeGreaterThan(0);
    expect(local).toBeLessThan(convert.indexOf('snowflake.convert_sequence_to_snowflake'));
    expect(convert).toContain("SELECT snowflake.convert_sequence_to_snowflake('<schema>.<sequence>'::regclass);");
    expect(checkOf(convert)).toContain('FROM pg_sequences s');
    expect(md.indexOf('Convert the sequences columns use to Snowflake on n2')).toBeLessThan(md.indexOf('Freeze writes on the source'));
  });

  it('interleaves the sequences no column uses after the freeze, printing the statements (the executor\'s, see test/integration/pgedge-sequence-runbook.test.ts), in a session that keeps its DDL local', () => {
    const seq = step(/Set sequences on n2/);
    expect(seq.indexOf('SET spock.enable_ddl_replication = off;')).toBeGreaterThan(0);
    expect(seq).not.toContain('convert_sequence_to_snowflake');
    expect(seq).not.toMatch(/<schema>|<sequence>/); // no placeholder: a query that prints the real statements
    expect(seq).toContain('node 2 of 2');
    expect(seq).toContain("format('ALTER SEQUENCE %s INCREMENT BY %s;', name, k * 2)");
    // Which sequences a column uses: the executor's own query, as a subquery.
    expect(seq).toContain('AND NOT EXISTS (SELECT 1 FROM (');
    expect(seq).toContain("pg_get_expr(ad.adbin, ad.adrelid) LIKE 'snowflake.nextval(%' AS converted");
    expect(seq.indexOf('SET spock.enable_ddl_replication = off;')).toBeLessThan(seq.indexOf('WITH s AS'));
    expect(md.indexOf('Set sequences on n2')).toBeGreaterThan(md.indexOf('Freeze writes on the source'));
  });

  it('shows no password', () => {
    for (const p of PASSWORDS) expect(md).not.toContain(p);
  });
});
