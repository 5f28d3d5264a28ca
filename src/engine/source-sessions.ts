// The cutover's sessions on the source. From the freeze on the database takes
// no new connection (superusers and this tool included), so every session the
// steps after it need is opened before, at the readiness check, and kept
// until the stage ends. Each task has one to itself, so that sequences and
// checks of several nodes still run at once.
import type pg from 'pg';

/**
 * Queries sent one after the other, each whole: a session shared by tasks
 * running at once (node-postgres no longer queues them itself).
 */
function oneQueryAtATime(client: pg.Client): pg.Client {
  const send = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  let last: Promise<unknown> = Promise.resolve();
  (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
    const next = last.then(() => send(...args));
    last = next.catch(() => undefined);
    return next;
  };
  return client;
}

export class SourceSessions {
  private readonly free: pg.Client[] = [];
  private readonly all: Promise<pg.Client>[] = [];
  /** Handed to a step that ends them itself: never shared. */
  private readonly owned = new Set<pg.Client>();
  private readonly opened: pg.Client[] = [];

  constructor(
    private readonly open: () => Promise<pg.Client>,
    /** True once the database is closed to new connections. */
    private readonly closed: () => boolean,
  ) {}

  private openOne(): Promise<pg.Client> {
    const session = this.open().then((c) => {
      this.opened.push(c);
      return oneQueryAtATime(c);
    });
    session.catch(() => undefined);
    this.all.push(session);
    return session;
  }

  /** Opens sessions now, up to `count` idle ones, while the database still takes connections. */
  async warm(count: number): Promise<void> {
    const opening: Promise<pg.Client>[] = [];
    for (let i = this.free.length; i < count; i++) opening.push(this.openOne());
    this.free.push(...(await Promise.all(opening)));
  }

  /**
   * A session for one task: an idle one, or a new one while the database is
   * open. With none left once it is closed, tasks share the first one.
   */
  async take(): Promise<pg.Client> {
    const idle = this.free.pop();
    if (idle) return idle;
    const shared = this.opened.find((c) => !this.owned.has(c));
    if (!this.closed() || !shared) return this.openOne();
    return shared;
  }

  /** A session of its own, or an error: for a step that runs transactions on it (the full check). */
  async takeOwn(): Promise<pg.Client> {
    const session = this.free.pop() ?? (this.closed() ? undefined : await this.openOne());
    if (!session) throw new Error('every source session opened before the freeze is in use');
    this.owned.add(session);
    return session;
  }

  /** Back from a task; out of any transaction it left open. */
  async give(client: pg.Client): Promise<void> {
    if (this.free.includes(client)) return;
    try {
      await client.query('ROLLBACK');
      this.free.push(client);
    } catch {
      await client.end().catch(() => undefined);
    }
  }

  /** The server pids of every session opened, still open or not: this tool's own. */
  async pids(): Promise<number[]> {
    const ids = await Promise.all(this.all.map((s) => s.then((c) => (c as unknown as { processID: number | null }).processID, () => null)));
    return ids.filter((p): p is number => typeof p === 'number');
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((s) => s.then((c) => c.end()).catch(() => undefined)));
  }
}
