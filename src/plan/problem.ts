/** One thing wrong with a plan, where an editor can jump to it. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

/** GCC style, so editors and CI annotate it: `plan.yaml:12:7: message`. */
export function formatProblem(p: Problem): string {
  const tag = p.severity === 'warning' ? 'warning: ' : '';
  return `${p.file}:${p.line}:${p.col}: ${tag}${p.message}`;
}

export function byPosition(a: Problem, b: Problem): number {
  return a.line - b.line || a.col - b.col;
}
