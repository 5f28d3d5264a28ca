// What a running task may use. Tasks reach databases and processes only
// through this, so the engine can cancel, redact and record everything.
import type pg from 'pg';
import type { LoadedPlan } from '../plan/load.js';
import type { ResolvedPlan } from '../plan/plan.js';
import type { TaskSpec } from '../plan/graph.js';
import type { Facts } from '../facts.js';
import type { Redactor } from '../secrets.js';
import type { Command } from '../render/commands.js';
import type { TaskDescription } from '../render/describe.js';
import type { Journal } from '../engine/journal.js';
import type { RunResult } from '../exec/run-command.js';
import type { RunIdentity } from '../engine/run-identity.js';

export interface TaskContext {
  loaded: LoadedPlan;
  plan: ResolvedPlan;
  spec: TaskSpec;
  facts: Facts;
  journal: Journal;
  runDir: string;
  dumpDir: string;
  redactor: Redactor;
  signal: AbortSignal;
  /** The task's steps, rendered with the current facts and the real secrets. */
  describe(): TaskDescription;
  /** Progress shown under the task (redacted). */
  progress(message: string): void;
  warn(message: string): void;
  /** Makes facts durable now, before the task ends (a kill after this keeps them). */
  record(facts: Partial<Facts>): void;
  /**
   * A connection to 'source' or a node, closed when the task ends (or is
   * cancelled). In the cutover, 'source' is a session opened before the
   * freeze closed the database to new connections (engine/source-sessions.ts);
   * in the rollback, a node is one opened before the nodes' freeze.
   */
  db(where: string): Promise<pg.Client>;
  /** A session on another database of the source's server (postgres or template1), kept for the stage. */
  sourceServer(): Promise<pg.Client>;
  /** Opens cutover source sessions now, while the database takes connections, for the steps after the freeze. */
  warmSourceSessions(count: number): Promise<void>;
  /** A cutover source session for one step's own use (it ends it); fails once none is left in a closed database. */
  ownSourceSession(): Promise<pg.Client>;
  /** The server pids of this stage's own source sessions. */
  ownSourcePids(): Promise<number[]>;
  /** The rollback's: a session on another database of a node's server (postgres or template1), kept for the stage. */
  nodeServer(node: string): Promise<pg.Client>;
  /** Opens the rollback's node sessions now, `count` per node, while the nodes take connections (db(node) hands them out). */
  warmNodeSessions(count: number): Promise<void>;
  /** The server pids of this stage's own sessions on a node. */
  ownNodePids(node: string): Promise<number[]>;
  /** Runs a client program; its log goes to <runDir>/<logName>.log. */
  run(cmd: Command, logName: string, opts?: { cwd?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult>;
  /** Lists SQL that changed something in the report's "Commands run", as client programs are (redacted). */
  sqlRan(where: string, sql: string): void;
  /** Resources that outlive one task (the snapshot anchor's connection). */
  shared: Map<string, { close(): Promise<void> }>;
  sleep(ms: number): Promise<void>;
  /** This run's identity (on what it creates), and its state directory. */
  identity?: RunIdentity;
  stateDir: string;
}

export interface TaskOutcome {
  facts?: Partial<Facts>;
  /** One line for the report: what happened, or what was found already there. */
  summary?: string;
  /** The task failed and its plan says to go on (a hook with continue_on_error): reported as "failed, continued". */
  continued?: boolean;
}

export type TaskRunner = (ctx: TaskContext) => Promise<TaskOutcome>;
