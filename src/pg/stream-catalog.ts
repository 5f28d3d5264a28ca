// What copy.method stream carries besides table rows, read at the anchor's
// snapshot: which relations there are, the sequences' values and the large
// objects, the things pg_dump's data section holds.
import type pg from 'pg';
import type { ResolvedPlan } from '../plan/plan.js';
import { LIST_RELATIONS_SQL, listRelationsParams, qualified, sequenceValueSql, snapshotTransaction, type TableName } from '../render/copy-sql.js';

export interface SourceRelation extends TableName {
  kind: 'r' | 'S';
  /** pg_table_size at the snapshot's catalog: for the estimate only. */
  bytes: number;
  rows_estimate: number;
  /** Main fork pages at the snapshot's catalog: where the ctid ranges are cut. */
  pages: number;
  /** What COPY without a column list carries, in order (LIST_RELATIONS_SQL). */
  columns: string[];
  /** Every column copied has a built-in type with a binary form: binary COPY is possible towards a node of the same major version. */
  builtin_types: boolean;
}

/** Opens the snapshot transaction on a fresh source session: every read after this sees the anchor's snapshot. */
export async function enterSnapshot(source: pg.Client, snapshot: string): Promise<void> {
  for (const sql of snapshotTransaction(snapshot)) await source.query(sql);
}

export async function listRelations(source: pg.Client, plan: ResolvedPlan): Promise<SourceRelation[]> {
  type Row = { schema: string; name: string; kind: 'r' | 'S'; bytes: string; rows_estimate: string; pages: string; columns: string[]; builtin_types: boolean };
  const rows = (await source.query(LIST_RELATIONS_SQL, listRelationsParams(plan))).rows as Row[];
  return rows.map((r) => ({ ...r, bytes: Number(r.bytes), rows_estimate: Number(r.rows_estimate), pages: Number(r.pages) }));
}

/** The server's major version (15 for 15.x). */
export async function serverMajor(c: pg.Client): Promise<number> {
  const [{ v }] = (await c.query("SELECT current_setting('server_version_num')::int AS v")).rows as { v: number }[];
  return Math.floor(v / 10000);
}

/**
 * Sets each sequence on every node to its value on the source, as pg_dump's
 * SEQUENCE SET does. Sequences are not transactional: like pg_dump's, the
 * value read is the current one, not the snapshot's; the cutover sets them
 * again past the frozen source anyway.
 */
export async function copySequences(source: pg.Client, nodes: pg.Client[], sequences: TableName[]): Promise<void> {
  for (const s of sequences) {
    const [v] = (await source.query(sequenceValueSql(s))).rows as { last_value: string; is_called: boolean }[];
    for (const n of nodes) await n.query('SELECT pg_catalog.setval($1::regclass, $2::bigint, $3)', [qualified(s), v.last_value, v.is_called]);
  }
}

const LO_PIECE = 1024 * 1024;

/**
 * Large objects' contents, piece by piece so memory stays flat. The objects
 * themselves (owner, privileges) came with pre-data, empty; lo_get reads them
 * as of the snapshot.
 */
export async function copyLargeObjects(source: pg.Client, nodes: pg.Client[]): Promise<number> {
  const oids = (await source.query('SELECT oid::text AS oid FROM pg_largeobject_metadata ORDER BY oid')).rows as { oid: string }[];
  for (const { oid } of oids) {
    for (let offset = 0; ; offset += LO_PIECE) {
      const [{ piece }] = (await source.query('SELECT lo_get($1::oid, $2::bigint, $3) AS piece', [oid, offset, LO_PIECE])).rows as { piece: Buffer }[];
      if (piece.length) for (const n of nodes) await n.query('SELECT lo_put($1::oid, $2::bigint, $3)', [oid, offset, piece]);
      if (piece.length < LO_PIECE) break;
    }
  }
  return oids.length;
}
