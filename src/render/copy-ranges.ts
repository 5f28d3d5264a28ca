// How a large table is cut into ctid ranges for copy.method stream: pure
// arithmetic on its size at the snapshot's catalog, so the plan's runbook and
// the run agree and a test needs no database.
import type { PageRange } from './copy-sql.js';

const MB = 1024 * 1024;

/**
 * No ranges (the table goes whole) unless it is larger than `splitAboveMb`;
 * then as many ranges as jobs, or a multiple of that so that none is larger
 * than the threshold: every job takes its share of the table at once, and the
 * ranges end about together. The first range is open at the start and the
 * last at the end, so rows on pages added since the size was read are copied
 * too.
 */
export function pageRanges(pages: number, bytes: number, splitAboveMb: number, jobs: number): PageRange[] {
  // One job would read the ranges one after the other: nothing gained, and FREEZE lost.
  if (splitAboveMb <= 0 || bytes <= splitAboveMb * MB || jobs < 2) return [];
  const count = Math.min(pages, jobs * Math.ceil(bytes / (splitAboveMb * MB * jobs)));
  if (count < 2) return [];
  const step = Math.ceil(pages / count);
  const ranges: PageRange[] = [];
  for (let i = 0; i < count && i * step < pages; i++) ranges.push({ from: i === 0 ? null : i * step, to: null });
  for (let i = 0; i < ranges.length - 1; i++) ranges[i].to = ranges[i + 1].from;
  return ranges;
}
