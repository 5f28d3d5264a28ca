import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { renderSql, renderTemplate, TemplateError } from '../../src/render/templates.js';
import { describeTask, subscriptionConnection, type DescribeContext } from '../../src/render/describe.js';
import { dumpCommand, restoreCommand, vacuumCommand } from '../../src/render/commands.js';
import { commandLine } from '../../src/render/steps.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { renderRunbook } from '../../src/render/runbook.js';
import { buildGraph } from '../../src/plan/graph.js';
import type { ResolvedPlan } from '../../src/plan/plan.js';
import { FIXTURES, PASSWORDS, TEST_ENV, TWO_NODE_PLAN, planFromFile } from './support.js';

// The dump path's rendering, pinned: copy.method stream is the default, and its tasks are tested in copy-sql.test.ts and graph.test.ts.
const example = { ...planFromFile(TWO_NODE_PLAN), copy: { method: 'dump' as const, jobs: 4 } };
const everyOption = planFromFile(join(FIXTURES, 'valid', 'every-option.yaml'));
const pgedge = planFromFile(join(FIXTURES, 'valid', 'pgedge-nodes.yaml'));
const DUMP_DIR = '/var/backups/app';

function ctx(plan: ResolvedPlan, reveal = false): DescribeContext {
  return { plan, dumpDir: DUMP_DIR, facts: {}, reveal };
}

function describeById(plan: ResolvedPlan, id: string, reveal = false) {
  const spec = [...buildGraph(plan, 'apply').tasks, ...buildGraph(plan, 'cutover').tasks].find((t) => t.id === id)!;
  return describeTask(spec, ctx(plan, reveal));
}

function expectNoPassword(text: string): void {
  for (const p of PASSWORDS) expect(text).not.toContain(p);
  expect(text).not.toContain(encodeURIComponent('n1 Secret-2'));
}

describe('create-publication', () => {
  it('FOR ALL TABLES by default', () => {
    expect(renderSql('create-publication.sql.hbs', { publication: 'pgedge_pub_1', publish: {} })).toBe('CREATE PUBLICATION pgedge_pub_1\n  FOR ALL TABLES;');
  });

  it('FOR TABLES IN SCHEMA, each schema quoted as needed', () => {
    expect(renderSql('create-publication.sql.hbs', { publication: 'pgedge_pub_1', publish: { schemas: ['public', 'Sales'] } })).toBe(
      'CREATE PUBLICATION pgedge_pub_1\n  FOR TABLES IN SCHEMA public, "Sales";',
    );
  });

  it('FOR TABLE, each part of each name quoted as needed', () => {
    expect(renderSql('create-publication.sql.hbs', { publication: 'pgedge_pub_1', publish: { tables: ['public.orders', 'Sales.Order Lines', 'public.user'] } })).toBe(
      'CREATE PUBLICATION pgedge_pub_1\n  FOR TABLE public.orders, "Sales"."Order Lines", public."user";',
    );
  });

  it('a publication named My "Pub"', () => {
    expect(renderSql('create-publication.sql.hbs', { publication: 'My "Pub"', publish: {} })).toBe('CREATE PUBLICATION "My ""Pub"""\n  FOR ALL TABLES;');
  });

  it('from a plan, through describeTask', () => {
    const d = describeById(everyOption, 'publication:n1');
    expect(d.steps).toEqual([{ type: 'sql', on: 'source', sql: expect.stringMatching(/^CREATE PUBLICATION "My ""Pub"""\n  FOR TABLE sales\.orders, "Sales"\."Order Lines";\nCOMMENT ON PUBLICATION "My ""Pub""" IS '\{"tool":"pgedge-migrate",.*"run":"<run id>"/) }]);
    expect(d.check!.sql).toBe(`SELECT pubname, puballtables FROM pg_publication WHERE pubname = 'My "Pub"';`);
  });
});

describe('create-subscription', () => {
  it('disabled, without copying data or creating a slot, on the slot made for it', () => {
    expect(renderSql('create-subscription.sql.hbs', { subscription: 'pgedge_sub01', publication: 'pgedge_pub_1', slot: 'pgedge_newrep01', connection: "host=src dbname=app user=rep password='it''s'" })).toBe(
      [
        'CREATE SUBSCRIPTION pgedge_sub01',
        "  CONNECTION 'host=src dbname=app user=rep password=''it''''s'''",
        '  PUBLICATION pgedge_pub_1',
        "  WITH (copy_data = false, create_slot = false, enabled = false, connect = true, slot_name = 'pgedge_newrep01');",
      ].join('\n'),
    );
  });

  it('its CONNECTION is redacted for printing and revealed only for running', () => {
    const shown = describeById(example, 'subscription:n1', false).steps[0];
    const run = describeById(example, 'subscription:n1', true).steps[0];
    expect(shown).toMatchObject({ type: 'sql', on: 'n1' });
    expect(shown.type === 'sql' && shown.sql).toBe(
      [
        'CREATE SUBSCRIPTION pgedge_sub01',
        "  CONNECTION 'postgresql://migrator:****@source.example.com:5432/app?sslmode=require'",
        '  PUBLICATION pgedge_pub_1',
        "  WITH (copy_data = false, create_slot = false, enabled = false, connect = true, slot_name = 'pgedge_newrep01');",
        `COMMENT ON SUBSCRIPTION pgedge_sub01 IS '{"tool":"pgedge-migrate","plan":"${example.name}","run":"<run id>","host":"<this host>","state_dir":"<state directory>","started_at":"<first apply>"}';`,
      ].join('\n'),
    );
    expect(run.type === 'sql' && run.sql).toContain(`CONNECTION '${TEST_ENV.SOURCE_DSN}'`);
  });

  it("the CONNECTION is the node's source_dsn, else the source's subscriber_dsn, else its dsn", () => {
    expect(subscriptionConnection(everyOption, 'n1', true)).toBe('host=10.0.0.5 dbname=app user=replicator');
    expect(subscriptionConnection(everyOption, 'n2', true)).toBe('host=source.internal dbname=app user=replicator password=changeme');
    expect(subscriptionConnection(everyOption, 'n2', false)).toBe('host=source.internal dbname=app user=replicator password=****');
    expect(subscriptionConnection(example, 'n2', true)).toBe(TEST_ENV.SOURCE_DSN);
  });

  it("is followed by advancing the origin to the anchor's consistent point", () => {
    const steps = describeTask(buildGraph(example, 'apply').tasks.find((t) => t.id === 'subscription:n2')!, {
      ...ctx(example),
      facts: { anchor: { slot: 'a', consistent_point: '0/3000060', snapshot: '00000003-00000002-1' } },
    }).steps;
    expect(steps[1]).toEqual({
      type: 'sql',
      on: 'n2',
      note: expect.any(String),
      sql: [
        "SELECT pg_replication_origin_advance('pg_' || s.oid, '0/3000060'::pg_lsn), 'pg_' || s.oid AS origin",
        '  FROM pg_subscription s',
        " WHERE s.subname = 'pgedge_sub02'",
        '   AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database());',
      ].join('\n'),
    });
  });
});

describe('the other templates, exactly', () => {
  it.each([
    ['create-slot.sql.hbs', { slot: 'pgedge_newrep01' }, "SELECT slot_name, lsn\n  FROM pg_create_logical_replication_slot('pgedge_newrep01', 'pgoutput');"],
    ['export-snapshot.repl.hbs', { anchor: 'aurora_to_pgedge_anchor' }, "CREATE_REPLICATION_SLOT aurora_to_pgedge_anchor TEMPORARY LOGICAL pgoutput (SNAPSHOT 'export')"],
    ['enable-subscription.sql.hbs', { subscription: 'Sub One' }, 'ALTER SUBSCRIPTION "Sub One" ENABLE;'],
    ['drop-subscription.sql.hbs', { subscription: 'pgedge_sub01' }, 'DROP SUBSCRIPTION IF EXISTS pgedge_sub01;'],
    ['detach-subscription.sql.hbs', { subscription: 'Sub One' }, 'ALTER SUBSCRIPTION "Sub One" DISABLE;\nALTER SUBSCRIPTION "Sub One" SET (slot_name = NONE);\nDROP SUBSCRIPTION "Sub One";'],
    ['drop-publication.sql.hbs', { publication: 'My "Pub"' }, 'DROP PUBLICATION IF EXISTS "My ""Pub""";'],
    ['drop-slot.sql.hbs', { slot: 'slot_1' }, "SELECT pg_drop_replication_slot(slot_name)\n  FROM pg_replication_slots\n WHERE slot_name = 'slot_1';"],
    ['freeze-writes.sql.hbs', { database: 'App', own_pids: [] }, "ALTER DATABASE \"App\" SET default_transaction_read_only = on;\nSELECT pid, pg_terminate_backend(pid)\n  FROM pg_stat_activity\n WHERE datname = 'App'\n   AND backend_type = 'client backend'\n   AND pid <> ALL (ARRAY[pg_backend_pid()]);"],
    ['freeze-writes.sql.hbs', { database: 'App', own_pids: [17, 18] }, "ALTER DATABASE \"App\" SET default_transaction_read_only = on;\nSELECT pid, pg_terminate_backend(pid)\n  FROM pg_stat_activity\n WHERE datname = 'App'\n   AND backend_type = 'client backend'\n   AND pid <> ALL (ARRAY[pg_backend_pid(), 17, 18]);"],
    ['unfreeze-writes.sql.hbs', { database: 'app' }, 'ALTER DATABASE app RESET default_transaction_read_only;'],
    ['close-database.sql.hbs', { database: 'App' }, 'ALTER DATABASE "App" WITH ALLOW_CONNECTIONS false;'],
    ['open-database.sql.hbs', { database: 'App' }, 'ALTER DATABASE "App" WITH ALLOW_CONNECTIONS true;'],
    ['prepared-transactions.sql.hbs', {}, 'SELECT gid, owner, prepared::text AS prepared_at\n  FROM pg_prepared_xacts\n WHERE database = current_database()\n ORDER BY prepared;'],
    [
      'fence-intruders.sql.hbs',
      { own_pids: [4242, 4243] },
      "SELECT pid, usename, application_name, client_addr::text AS client_addr, backend_type, backend_xid::text AS backend_xid\n  FROM pg_stat_activity\n WHERE datname = current_database()\n   AND pid <> ALL (ARRAY[pg_backend_pid(), 4242, 4243])\n   AND (backend_type = 'client backend'\n        OR (backend_xid IS NOT NULL AND backend_type NOT IN ('walsender', 'autovacuum worker')));",
    ],
    ['frozen-position.sql.hbs', {}, "BEGIN;\nSET LOCAL synchronous_commit = on;\nSELECT pg_logical_emit_message(true, 'pgedge-migrate', 'writes frozen')::text AS frozen_lsn;\nCOMMIT;"],
    ['set-apply-sync.sql.hbs', { subscription: 'Sub', value: 'on' }, 'ALTER SUBSCRIPTION "Sub" SET (synchronous_commit = \'on\');'],
    ['set-sequence.sql.hbs', { sequence: 'public."Order_id_seq"', value: 1042, is_called: true }, `SELECT setval('public."Order_id_seq"'::regclass, 1042, true);`],
    [
      'slot-lag.sql.hbs',
      { slots: ['s1', 's2'], target_lsn: '0/3000060' },
      "SELECT slot_name, active, confirmed_flush_lsn,\n       pg_wal_lsn_diff('0/3000060'::pg_lsn, confirmed_flush_lsn) AS lag_bytes,\n       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) AS retained_bytes\n  FROM pg_replication_slots\n WHERE slot_name IN ('s1', 's2');",
    ],
    [
      'slot-lag.sql.hbs',
      { slots: ['s1'], target_lsn: null },
      "SELECT slot_name, active, confirmed_flush_lsn,\n       pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) AS lag_bytes,\n       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) AS retained_bytes\n  FROM pg_replication_slots\n WHERE slot_name IN ('s1');",
    ],
    [
      'add-to-replication-set.sql.hbs',
      { schema: 'spock', add_all: 'repset_add_all_tables', add_table: 'repset_add_table', replication_set: 'default', tables: null, schemas: ['public', 'Sales'] },
      "SELECT spock.repset_add_all_tables('default', ARRAY['public', 'Sales'], false);",
    ],
    [
      'add-to-replication-set.sql.hbs',
      { schema: 'pglogical', add_all: 'replication_set_add_all_tables', add_table: 'replication_set_add_table', replication_set: 'sales_set', tables: null, schemas: null },
      "SELECT pglogical.replication_set_add_all_tables('sales_set', ARRAY(SELECT nspname::text FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname NOT IN ('information_schema', 'pglogical', 'spock', 'snowflake') ORDER BY 1), false);",
    ],
    [
      'add-to-replication-set.sql.hbs',
      { schema: 'pglogical', add_all: 'replication_set_add_all_tables', add_table: 'replication_set_add_table', replication_set: 'default', tables: ['sales.orders', '"Sales"."Order Lines"'], schemas: null },
      "SELECT pglogical.replication_set_add_table('default', 'sales.orders'::regclass, false);\nSELECT pglogical.replication_set_add_table('default', '\"Sales\".\"Order Lines\"'::regclass, false);",
    ],
  ] as [string, object, string][])('%s %j', (name, data, sql) => {
    expect(renderSql(name, data)).toBe(sql);
  });
});

describe('strict templates', () => {
  it('a variable missing from a plain {{name}} is an error', () => {
    expect(() => renderSql('set-sequence.sql.hbs', { sequence: 's', value: 1 })).toThrow(TemplateError);
    expect(() => renderSql('set-sequence.sql.hbs', { sequence: 's', value: 1 })).toThrow(/is_called/);
  });

  it('a variable missing from a quoting helper is an error too, naming it, never "undefined" in SQL', () => {
    expect(() => renderSql('enable-subscription.sql.hbs', {})).toThrow('template sql/enable-subscription.sql.hbs:1:20: {{ident subscription}} has no value');
    expect(() => renderSql('create-subscription.sql.hbs', { subscription: 's', publication: 'p', slot: 'x' })).toThrow('{{literal connection}} has no value');
    expect(() => renderSql('drop-slot.sql.hbs', { slot: null })).toThrow('{{literal slot}} has no value');
  });

  it('the runbook template too', () => {
    expect(() => renderTemplate('runbook.md.hbs', {})).toThrow(TemplateError);
  });
});

describe('client commands', () => {
  it('pg_dump reads the anchor snapshot and never sees the password on its command line', () => {
    const c = dumpCommand(example, DUMP_DIR, '00000003-00000002-1');
    expect(c.program).toBe('pg_dump');
    expect(c.argv).toEqual([
      '--dbname=user=migrator dbname=app host=source.example.com port=5432 sslmode=require',
      '--snapshot=00000003-00000002-1',
      '--format=directory',
      '--jobs=8',
      `--file=${DUMP_DIR}`,
      '--no-publications',
      '--no-subscriptions',
      '--exclude-schema=pgedge_migrate',
      '--verbose',
    ]);
    expect(c.env).toEqual({ PGPASSWORD: 'src-Secret-1' });
    expectNoPassword(c.argv.join(' '));
  });

  it('as printed: PGPASSWORD=**** and a line that can be pasted', () => {
    const step = describeById(example, 'dump').steps[1];
    expect(step.type).toBe('command');
    const line = commandLine(step as Extract<typeof step, { type: 'command' }>);
    expect(line).toBe(
      `PGPASSWORD=**** pg_dump '--dbname=user=migrator dbname=app host=source.example.com port=5432 sslmode=require' '--snapshot=<snapshot_name>' --format=directory --jobs=8 --file=${DUMP_DIR} --no-publications --no-subscriptions --exclude-schema=pgedge_migrate --verbose`,
    );
  });

  it('pg_dump --schema and --table match the published names exactly, not as folded patterns', () => {
    const c = dumpCommand(everyOption, DUMP_DIR, 'snap');
    expect(c.program).toBe('/usr/lib/postgresql/15/bin/pg_dump');
    expect(c.argv.slice(-3)).toEqual(['--compress=0', '--table=sales.orders', '--table="Sales"."Order Lines"']);
    expect(dumpCommand(pgedge, DUMP_DIR, 'snap').argv.filter((a) => a.startsWith('--schema'))).toEqual(['--schema=public', '--schema=sales']);
  });

  it('pg_restore per node (a cut-off restore is cleared from the dump\'s own list first, not with --clean)', () => {
    const first = restoreCommand(example, 'n1', DUMP_DIR);
    expect(first.argv).toEqual(["--dbname=host=n1.example.com port=5432 dbname=app user=pgedge", '--format=directory', '--jobs=4', '--exit-on-error', '--verbose', DUMP_DIR]);
    expect(first.env).toEqual({ PGPASSWORD: 'n1 Secret-2' });
    expect(restoreCommand(everyOption, 'n2', DUMP_DIR).argv).toEqual([
      '--dbname=user=pgedge dbname=app host=n2.example.com',
      '--format=directory',
      '--jobs=6',
      '--exit-on-error',
      '--verbose',
      '--no-owner',
      '--no-privileges',
      DUMP_DIR,
    ]);
  });

  it('vacuumdb per node', () => {
    expect(vacuumCommand(example, 'n2')).toEqual({ program: 'vacuumdb', argv: ['--dbname=user=pgedge dbname=app host=n2.example.com', '--analyze-only', '--jobs=2'], env: { PGPASSWORD: 'n2-Secret-3' } });
  });

  it('an sslpassword, which has no environment variable, is still not printed', () => {
    const plan: ResolvedPlan = { ...example, source: { ...example.source, dsn: 'host=src dbname=app sslpassword=key-Phrase-9 password=pw-Secret-0' } };
    const step = describeById(plan, 'dump').steps[1] as Extract<ReturnType<typeof describeTask>['steps'][number], { type: 'command' }>;
    const line = commandLine(step);
    expect(line).not.toContain('key-Phrase-9');
    expect(line).not.toContain('pw-Secret-0');
    expect(line).toContain("'--dbname=host=src dbname=app sslpassword=****'");
  });
});

describe('migrate plan output', () => {
  const text = renderPlanText(example, { dumpDir: DUMP_DIR, facts: {} });

  it('contains no password from any DSN', () => {
    expectNoPassword(text);
    for (const plan of [everyOption, pgedge]) expectNoPassword(renderPlanText(plan, { dumpDir: DUMP_DIR, facts: {} }));
    expect(renderPlanText(everyOption, { dumpDir: DUMP_DIR, facts: {} })).not.toContain('changeme');
  });

  it('shows each task with its dependencies, and which run at once', () => {
    expect(text).toContain('== migrate apply: 16 tasks in 9 waves');
    expect(text).toContain('-- wave 5 (2 tasks at once: restore:n1, restore:n2)');
    expect(text).toContain('[anchor] Export the snapshot anchor\n    after: slot:n1, slot:n2\n');
    expect(text).toContain('[hook:1] Hook 1 after catch-up\n    after: catch-up\n');
    expect(text).toContain('      ./notify.sh "all nodes caught up"');
    expect(text).toContain('== migrate cutover:');
  });
});

describe('the runbook', () => {
  const md = renderRunbook(example, { dumpDir: DUMP_DIR, facts: {}, file: 'plans/aurora-to-pgedge.yaml' });

  it('contains no password from any DSN', () => {
    expectNoPassword(md);
    for (const plan of [everyOption, pgedge]) expectNoPassword(renderRunbook(plan, { dumpDir: DUMP_DIR, facts: {}, file: 'plan.yaml' }));
    expect(md).toContain('postgresql://migrator:****@source.example.com');
  });

  it('says in its overview how the data is copied, and what reads the anchor snapshot, for either copy.method', () => {
    // example is a copy.method dump plan
    expect(md).toContain('- **Dump:** directory');
    expect(md).toContain('The one `pg_dump` reads that snapshot');
    expect(md).toContain('The dump is a complete copy of the source\'s data');
    const streamed = renderRunbook(planFromFile(TWO_NODE_PLAN), { dumpDir: DUMP_DIR, facts: {}, file: 'plan.yaml' });
    expect(streamed).toContain('- **Copy:** streamed (`copy.method: stream`)');
    expect(streamed).toContain('The schema dump and every table\'s COPY read that snapshot');
    expect(streamed).toContain('It holds the source\'s schema only (copy.method stream)');
  });

  it('has an overview, a Mermaid diagram of the task graph, and both stages', () => {
    expect(md).toMatch(/^# Runbook: aurora-to-pgedge\n/);
    expect(md).toContain('## Overview');
    const mermaid = /```mermaid\nflowchart TD\n([\s\S]*?)\n```/.exec(md);
    expect(mermaid).not.toBeNull();
    expect(mermaid![1]).toContain('    slot_n1 --> anchor');
    expect(mermaid![1]).toContain('    dump --> restore_n2');
    expect(mermaid![1]).toContain('  hook_1 -.-> ready');
    expect(md).toContain('## Part 1: initial sync and change stream (`migrate apply`)');
    expect(md).toContain('## Part 2: cutover (`migrate cutover`)');
  });

  it('numbers every task of every stage, once, in order, with the removal of the dump (rollback and finalize with cutover.fallback)', () => {
    const numbers = [...md.matchAll(/^### (\d+)\. /gm)].map((m) => Number(m[1]));
    const total = (['apply', 'cutover', 'rollback', 'finalize'] as const).reduce((n, s) => n + buildGraph(example, s).tasks.length, 0) + 1;
    expect(md).toMatch(/### \d+\. Remove the dump/);
    expect(example.cutover.fallback?.enabled).toBe(true);
    expect(md).toContain('Part 3a: rollback');
    expect(md).toContain('pg_create_logical_replication_slot(\'aurora_to_pgedge_fallback_slot\', \'pgoutput\')');
    expect(numbers).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(md).toContain('### 1. Create publication pgedge_pub_1 on the source');
    expect(md).toMatch(/### 7\. Restore the dump onto n1\n\n<sub>task `restore:n1` · after `dump` · may run at the same time as `restore:n2`<\/sub>/);
  });

  it('puts SQL and shell commands in fenced blocks, and says what to check', () => {
    expect(md).toMatch(/```sql\nCREATE PUBLICATION pgedge_pub_1\n  FOR ALL TABLES;\nCOMMENT ON PUBLICATION pgedge_pub_1 IS '\{"tool":"pgedge-migrate".*\}';\n```/);
    expect(md).toMatch(/```sh\nPGPASSWORD=\*\*\*\* pg_dump .*--snapshot=/);
    expect(md).toContain('```sh\n./notify.sh "all nodes caught up"\n```');
    expect(md).toContain('**Check:**');
    // every fence is closed
    expect(md.match(/^```/gm)!.length % 2).toBe(0);
  });

  it('shows the freeze as a wall: the database closed, prepared transactions looked for, the fence before the switch, opened again at the end', () => {
    const freeze = md.slice(md.indexOf('Freeze writes on the source'), md.indexOf('Wait until every node has applied the frozen position'));
    expect(freeze).toContain("SQL on another database of the source's server");
    expect(freeze).toContain('```sql\nALTER DATABASE app WITH ALLOW_CONNECTIONS false;\n```');
    expect(freeze).toContain('FROM pg_prepared_xacts');
    const sw = md.slice(md.indexOf('Switch the application to the nodes'));
    expect(sw).toContain('AND pid <> ALL (ARRAY[pg_backend_pid()])');
    expect(md).toContain('Open the source database to connections again (it stays read-only)');
    expect(md).toContain('```sql\nALTER DATABASE app WITH ALLOW_CONNECTIONS true;\n```');
  });

  it('says how to roll back from each phase', () => {
    const rollback = md.slice(md.indexOf('## Rolling back'));
    expect(md).toContain('## Rolling back');
    expect(rollback).toContain('### Any time before the cutover');
    expect(rollback).toContain('### During the dump or a restore');
    expect(rollback).toContain('### During the cutover, before the switch');
    expect(rollback).toContain('### After the switch');
    expect(rollback).toContain('ALTER SUBSCRIPTION pgedge_sub01 SET (slot_name = NONE);');
    expect(rollback).toContain("WHERE slot_name = 'pgedge_newrep02';");
    expect(rollback).toContain('DROP PUBLICATION IF EXISTS pgedge_pub_1;');
    expect(rollback).toContain('ALTER DATABASE app RESET default_transaction_read_only;');
  });

  it('pgEdge nodes get their replication-set step', () => {
    const pg = renderRunbook(pgedge, { dumpDir: DUMP_DIR, facts: {}, file: 'plan.yaml' });
    expect(pg).toContain("SELECT spock.repset_add_all_tables('default_insert_only', ARRAY['public', 'sales'], false);");
  });

  it('says what must hold first: wal_level, REPLICATION, free slots and senders, pg_hba, no DDL; with checks to run', () => {
    const before = md.slice(md.indexOf('## Before you start'), md.indexOf('## Task graph'));
    for (const w of ['wal_level = logical', '`REPLICATION`', 'free replication slots', 'free WAL senders', '`pg_hba.conf`', 'No DDL', "PGOPTIONS='-c default_transaction_read_only=off'"]) expect(before).toContain(w);
    expect(before).toContain("current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots) AS free_slots");
  });

  it('shows the SQL of the cutover steps that were prose: synchronous apply, sequences, counts', () => {
    expect(md).toContain("ALTER SUBSCRIPTION pgedge_sub01 SET (synchronous_commit = 'on');");
    expect(md).toMatch(/which prints the statements to run on n1 .*, in one transaction:/);
    expect(md).toContain("format('SELECT setval(%L::regclass, %s, false);', name, value)");
    expect(md).toMatch(/which prints a query to run on the source .* and on n2 .*: the results must be equal:/);
  });

  it("rolling back before the switch also puts back each subscription's synchronous_commit", () => {
    const part = md.slice(md.indexOf('### During the cutover, before the switch'), md.indexOf('### After the switch'));
    expect(part).toContain('RESET default_transaction_read_only');
    expect(part).toContain("ALTER SUBSCRIPTION pgedge_sub02 SET (synchronous_commit = '<subsynccommit>');");
  });

  it("the origin check joins pg_subscription: an origin is named after the subscription's oid", () => {
    expect(md).toContain("JOIN pg_replication_origin_status o ON o.external_id = 'pg_' || s.oid");
    expect(md).not.toContain("'<pg_' || oid");
  });
});

describe('the runbook diagram', () => {
  it('keeps tasks of nodes whose names differ only by - and _ apart', () => {
    const plan: ResolvedPlan = {
      ...example,
      nodes: [
        { ...example.nodes[0], name: 'n-1' },
        { ...example.nodes[1], name: 'n_1' },
      ],
      replication: [
        { ...example.replication[0], node: 'n-1' },
        { ...example.replication[1], node: 'n_1' },
      ],
    };
    const md = renderRunbook(plan, { dumpDir: DUMP_DIR, facts: {}, file: 'plan.yaml' });
    expect(md).toContain('    restore_n_1["restore:n-1"]');
    expect(md).toContain('    restore_n_1_2["restore:n_1"]');
    expect(md).toContain('    dump --> restore_n_1_2');
  });
});

describe('the runbook of a pgEdge plan', () => {
  const md = renderRunbook(pgedge, { dumpDir: DUMP_DIR, facts: {}, file: 'plan.yaml' });
  const step = (title: RegExp) => md.split(/\n### /).find((s) => title.test(s.split('\n')[0])) ?? '';

  it('adds the restored tables to the Spock replication set between the restore and the enable', () => {
    const repset = md.indexOf('spock.repset_add_all_tables(\'default_insert_only\'');
    expect(repset).toBeGreaterThan(md.indexOf('Restore the dump onto n2'));
    expect(repset).toBeLessThan(md.indexOf('ALTER SUBSCRIPTION pgedge_sub02 ENABLE'));
    expect(step(/Spock replication set default on n1/)).toContain("spock.repset_add_all_tables('default', ARRAY['public', 'sales'], false)");
  });

  it('shows the sequence strategy at its place in the cutover', () => {
    const seq = step(/Set sequences on n1/);
    expect(seq).toContain('strategy snowflake');
    expect(md.indexOf('Set sequences on n1')).toBeGreaterThan(md.indexOf('Wait until every node has applied the frozen position'));
    expect(md.indexOf('Set sequences on n1')).toBeLessThan(md.indexOf('Switch the application to the nodes'));
  });
});
