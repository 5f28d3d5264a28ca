// cutover and abort change what the application sees: in a terminal they say
// what they will do and ask first. Not asked with --yes, when standard input
// or output is not a terminal, or under CI (nobody there to answer).
import { createInterface } from 'node:readline/promises';

export function mayAsk(opts: { yes?: boolean }): boolean {
  return !opts.yes && Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
}

/** Shows the plan of action and asks; true to go ahead. */
export async function confirm(what: string[], question: string, out: (s: string) => void): Promise<boolean> {
  out(`${what.map((w) => `  - ${w}`).join('\n')}\n`);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
