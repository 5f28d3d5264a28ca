// A run killed outright (SIGKILL, a lost CI runner) cannot end its children:
// a pg_dump or pg_restore goes on alone. Before anything is redone, the next
// run ends them, so that two restores never write to one node at once.
import { readFileSync } from 'node:fs';
import type { Journal } from './journal.js';

function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function endOrphans(journal: Journal): Promise<string[]> {
  const messages: string[] = [];
  for (const [task, child] of Object.entries(journal.data.children ?? {})) {
    // The pid may have been reused by an unrelated process: only a process
    // still running the same program is ours.
    const cmd = commandLineOf(child.pid);
    if (cmd && cmd.includes(child.program) && alive(child.pid)) {
      process.kill(child.pid, 'SIGTERM');
      for (let i = 0; i < 50 && alive(child.pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive(child.pid)) process.kill(child.pid, 'SIGKILL');
      messages.push(`ended ${child.program} (pid ${child.pid}, task ${task}) left running by an earlier run that was stopped outright`);
    }
    journal.childEnded(task);
  }
  return messages;
}
