export { PG_BIN, startCluster, startClusters } from './cluster.js';
export type { Cluster, ClusterOptions } from './cluster.js';
export { startWriteLoad } from './load.js';
export type { WriteLoad, WriteLoadOptions, WriteLoadResult } from './load.js';
export { compareClusters, tableFingerprint, userTables } from './compare.js';
export type { Fingerprint, TableComparison } from './compare.js';
