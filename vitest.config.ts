import { defineConfig } from 'vitest/config';

// Unit tests need no database; integration tests start real PostgreSQL
// clusters through test/harness and are slow, so they run in forks with
// generous timeouts, two files at a time: most of an integration test's time
// is spent waiting on servers (catch-up, freezes, hooks that sleep), not on
// the CPU, and each file starts clusters of its own on free ports.
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    globalSetup: ['./test/build-once.ts'],
    projects: [
      // First and alone: beside the integration files its CPU-bound minutes
      // would slow the servers that the kill and freeze tests time.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 10_000, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The files where the copy method decides what happens (apply and its
        // resumption after kills, cutover, large objects, pgEdge), again under
        // copy.method dump, the fallback: every other file runs under stream,
        // the default, and the files about the dump itself (dump-directory,
        // secrets-and-dump, runbook-by-hand) ask for dump in their plans.
        // After the others (groupOrder), not beside them: two projects of
        // clusters at once would overload a 2-core runner.
        test: {
          name: 'integration-dump',
          include: ['test/integration/apply.test.ts', 'test/integration/cutover.test.ts', 'test/integration/large-objects.test.ts', 'test/integration/pgedge.test.ts'],
          env: { COPY_METHOD: 'dump' },
          sequence: { groupOrder: 2 },
          testTimeout: 300_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 2,
        },
      },
    ],
  },
});
