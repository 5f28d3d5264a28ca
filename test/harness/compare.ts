// Content fingerprints computed inside each database, so comparing large
// tables across clusters does not drag their rows into the test process.

import type { Cluster } from './cluster.js';

export interface Fingerprint {
  rows: number;
  md5: string;
}

export interface TableComparison {
  table: string;
  byCluster: Record<string, Fingerprint>;
  equal: boolean;
}

/**
 * `table` is interpolated as-is, so it must already be a valid (quoted where
 * needed) name such as `public.accounts` or `"s2"."t"`; userTables() returns
 * names in that form.
 */
export async function tableFingerprint(cluster: Cluster, db: string, table: string): Promise<Fingerprint> {
  // Sorting by the text form makes the digest independent of physical row
  // order, which differs between a source and a logically replicated copy.
  // coalesce gives empty tables a stable digest instead of NULL.
  const rows = await cluster.query<{ rows: string; md5: string }>(
    `SELECT count(*)::bigint AS rows,
            md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE "C"), '')) AS md5
       FROM ${table} AS t`,
    [],
    db,
  );
  // bigint arrives as a string from pg; row counts in tests fit a double.
  return { rows: Number(rows[0].rows), md5: rows[0].md5 };
}

export async function compareClusters(clusters: Cluster[], db: string, tables: string[]): Promise<TableComparison[]> {
  const out: TableComparison[] = [];
  for (const table of tables) {
    const prints = await Promise.all(
      clusters.map(async (c) => {
        try {
          return await tableFingerprint(c, db, table);
        } catch (err) {
          throw new Error(`fingerprint of ${table} on cluster '${c.name}' (db ${db}) failed: ${(err as Error).message}`);
        }
      }),
    );
    const byCluster: Record<string, Fingerprint> = {};
    clusters.forEach((c, i) => (byCluster[c.name] = prints[i]));
    const first = prints[0];
    const equal = prints.every((p) => p.rows === first?.rows && p.md5 === first?.md5);
    out.push({ table, byCluster, equal });
  }
  return out;
}

export async function userTables(cluster: Cluster, db: string): Promise<string[]> {
  // relkind 'r' covers both plain tables and partition leaves; partitioned
  // parents ('p') hold no rows of their own and would double-count the leaves.
  const rows = await cluster.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        -- The DDL guard's schema lives on the source only (src/pg/ddl-log.ts).
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgedge_migrate')
        AND n.nspname NOT LIKE 'pg\\_toast%'
        AND n.nspname NOT LIKE 'pg\\_temp\\_%'`,
    [],
    db,
  );
  // Sorted here rather than in SQL so the order does not depend on the database collation.
  return rows.map((r) => r.name).sort();
}
