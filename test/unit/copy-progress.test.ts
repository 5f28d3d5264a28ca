import { describe, expect, it, vi } from 'vitest';
import { formatCopyProgress } from '../../src/pg/copy-progress.js';
import { plainLines } from '../../src/report/plain-lines.js';

describe('progress of long copies', () => {
  it('per table: bytes, rows of the estimate, a rate and the time left', () => {
    const before = [{ table: 'shop.orders', bytes: 1_000_000, rows: 10_000 }];
    const now = [
      { table: 'shop.orders', bytes: 5_000_000, rows: 50_000 },
      { table: 'public.events', bytes: 2048, rows: 20 },
    ];
    const estimates = new Map([['shop.orders', 250_000]]);
    expect(formatCopyProgress(now, before, 2, estimates)).toBe('shop.orders 4.8 MB, 50000 of ~250000 rows, 20000 rows/s, ~10 s left; public.events 2.0 kB, 20 rows');
  });

  it('in CI, one progress line per task every 10 s', () => {
    vi.useFakeTimers();
    try {
      const lines: string[] = [];
      const log = plainLines((s) => lines.push(s));
      for (let i = 0; i < 25; i++) {
        log.progress('restore:n1', `copying ${i}`);
        vi.advanceTimersByTime(1_000);
      }
      expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['...     [restore:n1] copying 0\n', '...     [restore:n1] copying 10\n', '...     [restore:n1] copying 20\n']);
    } finally {
      vi.useRealTimers();
    }
  });
});
