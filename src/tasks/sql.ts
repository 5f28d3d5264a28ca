// Running a task's rendered SQL steps, and the small catalog probes that make
// each task safe to run again.
import type pg from 'pg';
import type { TaskContext } from './context.js';
import type { Step } from '../render/describe.js';
import { OperationError } from '../errors.js';
import { pgErrorText } from '../pg/connect.js';

export async function runSqlStep(ctx: TaskContext, step: Step): Promise<pg.QueryResult> {
  if (step.type !== 'sql') throw new Error(`not a SQL step: ${step.type}`);
  const client = await ctx.db(step.on);
  ctx.sqlRan(step.on, step.sql);
  try {
    return await client.query(step.sql);
  } catch (e) {
    throw new OperationError(ctx.redactor.redact(`${ctx.spec.id}: ${step.on === 'source' ? 'the source' : step.on} said: ${pgErrorText(e)}`));
  }
}

export async function exists(client: pg.Client, sql: string, params: unknown[]): Promise<boolean> {
  return (await client.query(sql, params)).rowCount! > 0;
}

export function lsnToBigInt(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}
