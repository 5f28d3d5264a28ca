// Bytes and rows of the stream copy, per table and in total, with a rate and
// an estimate of the time left: what the copy task shows under itself. The
// rows of the tables still being copied come from pg_stat_progress_copy on a
// node (copying()): the relay sees bytes, not rows.
import { formatBytes } from '../pg/replication-state.js';

export interface TableCopied {
  rows: number;
  bytes: number;
  ms: number;
}

export class CopyProgress {
  private readonly started = Date.now();
  private streamed = 0;
  private rows = 0;
  private tablesDone = 0;
  private doneEstimate = 0;
  // The first look a second in, when the rate means something.
  private lastShown = this.started;
  private inFlight = '';

  /** `estimate`: the tables' size on the source, the denominator of the estimate (COPY text is of the same order). */
  constructor(
    private readonly tables: number,
    private readonly estimate: number,
    private readonly show: (line: string) => void,
  ) {}

  chunk(bytes: number): void {
    this.streamed += bytes;
  }

  tableDone(name: string, sizeEstimate: number, t: TableCopied): void {
    this.tablesDone++;
    this.rows += t.rows;
    this.doneEstimate += sizeEstimate;
    this.show(`${name}: ${t.rows} rows, ${formatBytes(t.bytes)} in ${(t.ms / 1000).toFixed(1)} s`);
    this.print();
  }

  /**
   * Each look at the tables being copied, as one node's pg_stat_progress_copy
   * says (formatCopyProgress; '' when none): the line is shown with it, about
   * every second, from a second into the copy.
   */
  copying(line: string): void {
    this.inFlight = line;
    if (Date.now() - this.lastShown >= 900) this.print();
  }

  totals(): { tables: number; rows: number; bytes: number; ms: number } {
    return { tables: this.tablesDone, rows: this.rows, bytes: this.streamed, ms: Date.now() - this.started };
  }

  line(): string {
    const s = (Date.now() - this.started) / 1000;
    const rate = s > 0 ? this.streamed / s : 0;
    // The finished tables' source size is known exactly; the share of the rest is estimated from bytes streamed.
    const fraction = this.estimate > 0 ? Math.min(0.99, Math.max(this.doneEstimate, this.streamed) / this.estimate) : 1;
    const left = fraction > 0 && this.tablesDone < this.tables ? (s / fraction) * (1 - fraction) : 0;
    return `${this.tablesDone}/${this.tables} tables, ${formatBytes(this.streamed)}, ${this.rows} rows, ${formatBytes(rate)}/s${left ? `, about ${Math.ceil(left)} s left` : ''}${this.inFlight ? `; copying: ${this.inFlight}` : ''}`;
  }

  private print(): void {
    this.lastShown = Date.now();
    this.show(this.line());
  }
}
