// A bounded set of sessions to one database for verify's parallel queries.
// Sessions are opened on demand, up to `size`, each prepared with the same
// settings, and all closed by close() (also when verify is cancelled).
import type pg from 'pg';
import { SESSION_SETUP } from './sql.js';

export class SessionPool {
  private readonly idle: pg.Client[] = [];
  private readonly all = new Set<pg.Client>();
  private readonly waiters: { resolve: (c: pg.Client) => void; reject: (e: unknown) => void }[] = [];
  private opening = 0;
  private closed = false;
  /** The server's version (server_version_num), known once a session is open. */
  version = 0;

  constructor(
    readonly name: string,
    private readonly open: () => Promise<pg.Client>,
    readonly size: number,
  ) {}

  async acquire(): Promise<pg.Client> {
    if (this.closed) throw new Error(`${this.name}: verify was stopped`);
    const c = this.idle.pop();
    if (c) return c;
    if (this.all.size + this.opening < this.size) {
      this.opening++;
      try {
        const client = await this.open();
        try {
          await client.query(SESSION_SETUP);
          const version = Number((await client.query("SELECT current_setting('server_version_num') AS v")).rows[0].v);
          this.version ||= version;
          // A scan runs on after its client is gone unless the server looks
          // (PostgreSQL 14+, where the platform allows it): a stopped verify
          // must not leave full-table scans behind on a production source.
          if (version >= 140000) await client.query("SET client_connection_check_interval = '1s'").catch(() => undefined);
        } catch (e) {
          await client.end().catch(() => undefined);
          throw e;
        }
        if (this.closed) {
          await client.end().catch(() => undefined);
          throw new Error(`${this.name}: verify was stopped`);
        }
        this.all.add(client);
        return client;
      } finally {
        this.opening--;
      }
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Opens every session now: a table's source and node queries must take
   * their snapshots together, not one of them after a connection handshake.
   */
  async warm(): Promise<void> {
    const want = this.size - this.all.size - this.opening;
    const got = await Promise.allSettled(Array.from({ length: want }, () => this.acquire()));
    for (const g of got) if (g.status === 'fulfilled') this.release(g.value);
    const failed = got.find((g): g is PromiseRejectedResult => g.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Returns a session; a broken one (its transaction state unknown) is closed instead. */
  release(c: pg.Client, broken = false): void {
    if (broken || this.closed) {
      this.all.delete(c);
      void c.end().catch(() => undefined);
      // A waiter gets a fresh session in place of the broken one.
      const w = this.waiters.shift();
      if (w && !this.closed) this.acquire().then(w.resolve, w.reject);
      return;
    }
    const w = this.waiters.shift();
    if (w) w.resolve(c);
    else this.idle.push(c);
  }

  async with<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = await this.acquire();
    let broken = false;
    try {
      return await fn(c);
    } catch (e) {
      broken = true;
      throw e;
    } finally {
      this.release(c, broken);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.name}: verify was stopped`));
    const clients = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}
