// compare's charts for report.md: one SVG (a row of bars per query, p95 per
// target with a whisker from p50 to p99, each query on its own scale, since
// queries differ by orders of magnitude) and Mermaid xycharts; GitHub renders both.
import type { CompareReport } from './report.types.js';
import { formatMs } from './format.js';

type QueryResult = CompareReport['queries'][number];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = { source: '#6b7280', same: '#2563eb', faster: '#16a34a', slower: '#dc2626', errors: '#d97706' } as const;
const W = 760;
const LEFT = 150;
const BAR = 16;
const GAP = 6;
const TITLE = 22;

export function latencySvg(r: CompareReport): string {
  let y = 34;
  const parts: string[] = [];
  for (const q of r.queries) {
    parts.push(`<text x="8" y="${y + 14}" font-weight="bold">${esc(q.name)}</text>`);
    y += TITLE;
    const max = Math.max(...q.results.map((x) => x.p99_ms ?? x.p95_ms ?? 0), 0.001);
    const scale = (v: number) => ((W - LEFT - 150) * v) / max;
    q.results.forEach((res, i) => {
      const verdict = i === 0 ? 'source' : q.verdicts[i - 1].verdict;
      parts.push(`<text x="${LEFT - 8}" y="${y + 12}" text-anchor="end">${esc(res.target)}</text>`);
      if (res.p95_ms !== null) {
        parts.push(`<rect x="${LEFT}" y="${y}" width="${scale(res.p95_ms).toFixed(1)}" height="${BAR}" fill="${COLORS[verdict]}"/>`);
        if (res.p50_ms !== null && res.p99_ms !== null) {
          const mid = y + BAR / 2;
          parts.push(`<line x1="${(LEFT + scale(res.p50_ms)).toFixed(1)}" x2="${(LEFT + scale(res.p99_ms)).toFixed(1)}" y1="${mid}" y2="${mid}" stroke="#111827" stroke-width="1.5"/>`);
        }
        const label = `${formatMs(res.p95_ms)} ms${i === 0 ? '' : ` (${verdict})`}`;
        parts.push(`<text x="${(LEFT + scale(Math.max(res.p95_ms, res.p99_ms ?? 0)) + 6).toFixed(1)}" y="${y + 12}">${esc(label)}</text>`);
      } else parts.push(`<text x="${LEFT}" y="${y + 12}">no successful execution</text>`);
      y += BAR + GAP;
    });
    y += 10;
  }
  const head = `<text x="8" y="18" font-weight="bold">p95 latency per query and target (whisker: p50 to p99; each query on its own scale)</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 8}" viewBox="0 0 ${W} ${y + 8}" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="#ffffff"/>\n${head}\n${parts.join('\n')}\n</svg>\n`;
}

/** One Mermaid xychart per query: p95 bars per target, p50 as a line. */
export function mermaidCharts(r: CompareReport): string[] {
  return r.queries.map((q) => mermaidChart(q));
}

function mermaidChart(q: QueryResult): string {
  const targets = q.results.map((x) => `"${x.target}"`).join(', ');
  const series = (f: (x: QueryResult['results'][number]) => number | null) => q.results.map((x) => f(x) ?? 0).join(', ');
  const top = Math.max(...q.results.map((x) => x.p95_ms ?? 0), 0.001) * 1.15;
  return [
    'xychart-beta',
    `    title "${q.name.replace(/"/g, "'")}: p95 (bars) and p50 (line), ms"`,
    `    x-axis [${targets}]`,
    `    y-axis "ms" 0 --> ${Number(top.toPrecision(3))}`,
    `    bar [${series((x) => x.p95_ms)}]`,
    `    line [${series((x) => x.p50_ms)}]`,
  ].join('\n');
}
