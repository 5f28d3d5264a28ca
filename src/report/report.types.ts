/* Generated from schemas/report.schema.json by `npm run gen:types`. Do not edit. */

/**
 * report.json, written in <state_dir>/runs/<time>-<stage>/ by every migrate apply and migrate cutover, whatever their outcome. Holds no secret.
 */
export interface RunReport {
  tool: 'pgedge-migrate';
  version: string;
  /**
   * The plan's name.
   */
  plan: string;
  plan_file: string;
  /**
   * The stage that ran.
   */
  command: 'apply' | 'cutover' | 'rollback' | 'finalize' | 'ddl';
  status: 'succeeded' | 'failed';
  /**
   * completed; nothing-to-do (a rerun after success); failed; interrupted (Ctrl-C, SIGTERM).
   */
  outcome: 'completed' | 'nothing-to-do' | 'failed' | 'interrupted';
  started_at: string;
  finished_at: string;
  duration_ms: number;
  tasks: TaskRecord[];
  /**
   * What the run learned: the anchor (consistent_point, snapshot), origins, caught-up and frozen positions.
   */
  facts: {
    [k: string]: unknown | undefined;
  };
  /**
   * apply: where each node's slot stood at the end.
   */
  lag?: {
    node: string;
    slot: string;
    lag_bytes: number | null;
    retained_bytes: number | null;
  }[];
  /**
   * cutover: the write freeze and its steps.
   */
  cutover?: {
    /**
     * From the first freeze that was not called off (across cutovers stopped while frozen and started over, from the journal) to the switch, or to the unfreeze of a cutover called off.
     */
    write_downtime_ms: number | null;
    freeze_started_at: string | null;
    freeze_ended_at: string | null;
    frozen_lsn: string | null;
    switched_at: string | null;
    /**
     * How many times writes were frozen since freeze_started_at: more than 1 when a cutover stopped while frozen was started over.
     */
    freeze_attempts?: number;
    /**
     * What write_downtime_ms does not show: that it spans several attempts, or that it ends at a switch step that did nothing (no switch_hook).
     */
    downtime_note?: string | null;
    source_left: string;
    /**
     * Duration of each task that ran, in ms.
     */
    steps: {
      [k: string]: number | undefined;
    };
  };
  warnings: string[];
  /**
   * Every client program run, as a command line with its password hidden.
   */
  commands: {
    task: string;
    command: string;
  }[];
  error?: string;
  next_steps?: string;
  /**
   * migrate ddl: the schema change, its statements, and where each stands.
   */
  ddl?: {
    /**
     * The change's id (first 12 hex digits of the SHA-256 of its text).
     */
    change: string;
    statements: {
      n: number;
      statement: string;
      kind: 'additive' | 'removal';
      action: string;
      /**
       * Per database ('source' or a node's name): done, already there (or gone), not done, failed.
       */
      targets: {
        [k: string]: string | undefined;
      };
    }[];
    /**
     * The guard's record ids this change brought to the nodes (--recorded).
     */
    recorded?: string[];
  };
  /**
   * rollback: writes back to the source.
   */
  rollback?: {
    /**
     * From the nodes' freeze to the source made writable.
     */
    write_downtime_ms: number | null;
    freeze_started_at: string | null;
    freeze_ended_at: string | null;
    rollback_lsn?: string | null;
    /**
     * What the nodes were left as.
     */
    nodes_left: string;
    /**
     * Duration of each step that ran, in ms, by task id.
     */
    steps?: {
      [k: string]: number | undefined;
    };
  };
}
export interface TaskRecord {
  id: string;
  title: string;
  status: 'succeeded' | 'failed' | 'skipped' | 'already-done' | 'interrupted' | 'failed-continued';
  started_at?: string;
  finished_at?: string;
  duration_ms?: number;
  summary?: string;
  error?: string;
}
