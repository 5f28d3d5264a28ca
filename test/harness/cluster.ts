// The tests' clusters are the product's own local clusters (src/sandbox), with
// the PostgreSQL 15 binaries the suite is written against.
import { startLocalCluster, startLocalClusters, type LocalCluster, type LocalClusterOptions } from '../../src/sandbox/local-cluster.js';

export const PG_BIN: string = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export type Cluster = LocalCluster;
export type ClusterOptions = Omit<LocalClusterOptions, 'binDir'>;

export function startCluster(opts: ClusterOptions): Promise<Cluster> {
  return startLocalCluster({ ...opts, binDir: PG_BIN });
}

export function startClusters(names: string[], settings?: Record<string, string | number>): Promise<Cluster[]> {
  return startLocalClusters(names, { settings, binDir: PG_BIN });
}
