// A parsed YAML plan that still knows where every value came from, so that a
// problem found in the data (by ajv or by a rule) is reported at its line and
// column in the file the user wrote.
import { Document, isMap, isScalar, isSeq, LineCounter, Parser, parseDocument, Scalar, visit, type Node as YamlNode, isPair } from 'yaml';
import { parse as parseYamlValue } from 'yaml';
import { interpolate, type EnvReferenceError } from './env.js';
import type { Problem } from './problem.js';

export type Path = (string | number)[];

export class PlanDocument {
  private readonly lines = new LineCounter();
  readonly doc: Document;
  readonly problems: Problem[] = [];
  /** Values left as written because a reference in them failed: already reported, so nothing else is said about them. */
  private readonly unresolved = new Set<YamlNode>();
  private readonly quiet: Path[] = [];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true, strict: true });
    for (const e of [...this.doc.errors, ...this.doc.warnings]) {
      const open = e.code === 'MISSING_CHAR' && /quote/.test(e.message) ? openingQuote(text, e.pos[0]) : undefined;
      if (open) this.problemAt(open.offset, `YAML: the string that starts here has no closing ${open.quote}`, 'error');
      else this.problemAt(e.pos[0], yamlMessage(e.code, e.message), 'error');
    }
  }

  get parsed(): boolean {
    return this.doc.errors.length === 0;
  }

  /**
   * Replaces ${VAR} references in every string value, reporting each missing one where it stands.
   * A hook's `run` keeps its references: /bin/sh expands them from the
   * environment the hook inherits, so a secret never stands in the hook's
   * command line (/proc/PID/cmdline, which any local user may read), and
   * `plan` and `runbook` show the command as written. A hook's `sql` is
   * expanded for running, and the text as written is kept for showing.
   */
  interpolateEnv(env: Record<string, string | undefined>): Map<Path, string> {
    const hookValues = this.hookValueNodes();
    const written = new Map<Path, string>();
    visit(this.doc, {
      Scalar: (key, node) => {
        if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
        const { value, errors } = interpolate(node.value, env);
        if (errors.length) {
          this.unresolved.add(node);
          for (const offset of this.referenceOffsets(node, errors)) this.problemAt(offset.at, offset.message, 'error');
          return;
        }
        const hook = hookValues.get(node);
        if (hook?.field === 'run') {
          // `$$` is the plan's literal `$`; what the shell then sees is what it saw when the value was spliced in.
          node.value = node.value.replaceAll('$$', '$');
          return;
        }
        if (hook) written.set(hook.path, node.value);
        node.value = node.type === Scalar.PLAIN ? plainScalar(value) : value;
      },
    });
    return written;
  }

  /** The scalar nodes of every hook's run and sql: hooks[i] and the cutover's freeze, unfreeze and switch hooks. */
  private hookValueNodes(): Map<YamlNode, { field: 'run' | 'sql'; path: Path }> {
    const found = new Map<YamlNode, { field: 'run' | 'sql'; path: Path }>();
    const hooks = this.doc.getIn(['hooks'], true);
    const owners: Path[] = ['freeze_hook', 'unfreeze_hook', 'switch_hook'].map((h) => ['cutover', h]);
    if (isSeq(hooks)) hooks.items.forEach((_, i) => owners.push(['hooks', i]));
    for (const owner of owners) {
      for (const field of ['run', 'sql'] as const) {
        const node = this.doc.getIn([...owner, field], true);
        if (isScalar(node)) found.set(node, { field, path: [...owner, field] });
      }
    }
    return found;
  }

  /**
   * File offsets of a scalar's bad references. The error indices are into the
   * value, which differs from the source once quotes, escapes, folding or a
   * block's indentation are involved; the same references found in the source
   * text itself give exact positions.
   */
  private referenceOffsets(node: Scalar, errors: EnvReferenceError[]): { at: number; message: string }[] {
    const [start, end] = node.range ?? [0, 0];
    const inSource = interpolate(this.text.slice(start, end), {}).errors;
    // With an empty environment every reference without a default is an error
    // in the source; the value's errors are among them, in the same order.
    const matched: number[] = [];
    let j = 0;
    for (const e of errors) {
      while (j < inSource.length && inSource[j].reference !== e.reference) j++;
      if (j >= inSource.length) return errors.map((x) => ({ at: start, message: x.message }));
      matched.push(inSource[j++].index);
    }
    return errors.map((e, i) => ({ at: start + matched[i], message: e.message }));
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  /** Position of the value at `path`, or of its key when `key` is set; falls back to the nearest existing ancestor. */
  locate(path: Path, opts: { key?: boolean } = {}): { line: number; col: number } {
    for (let depth = path.length; depth >= 0; depth--) {
      const sub = path.slice(0, depth);
      if (opts.key || depth < path.length) {
        const keyNode = this.keyNode(sub);
        if (keyNode?.range) return this.lines.linePos(keyNode.range[0]);
      }
      const node = sub.length ? (this.doc.getIn(sub, true) as YamlNode | undefined) : this.doc.contents;
      if (node && (node as YamlNode).range) return this.lines.linePos((node as YamlNode).range![0]);
    }
    return { line: 1, col: 1 };
  }

  /** From now on, problems at or under these paths are not reported: the schema has said what is wrong there. */
  quietUnder(paths: Path[]): void {
    this.quiet.push(...paths);
  }

  problem(path: Path, message: string, opts: { key?: boolean; severity?: 'error' | 'warning' } = {}): void {
    if (!opts.key && path.length && this.unresolved.has(this.doc.getIn(path, true) as YamlNode)) return;
    if (this.quiet.some((q) => q.every((k, i) => path[i] === k))) return;
    const { line, col } = this.locate(path, opts);
    this.problems.push({ file: this.file, line, col, message, severity: opts.severity ?? 'error' });
  }

  /** Every string scalar's value in the file as written, before interpolation, for rules about literal secrets. */
  rawValue(path: Path): string | undefined {
    const node = this.doc.getIn(path, true);
    return isScalar(node) && node.source !== undefined ? String(node.source) : undefined;
  }

  private keyNode(path: Path): YamlNode | undefined {
    if (path.length === 0) return undefined;
    const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
      return pair?.key as YamlNode | undefined;
    }
    if (isSeq(parent) && typeof last === 'number') return parent.items[last] as YamlNode | undefined;
    return undefined;
  }

  private problemAt(offset: number, message: string, severity: 'error' | 'warning'): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ file: this.file, line, col, message, severity });
  }
}

/** The quote that opens the quoted scalar a "missing closing quote" error ends in, where the user must look. */
function openingQuote(text: string, end: number): { offset: number; quote: string } | undefined {
  let best: { offset: number; quote: string } | undefined;
  const walk = (t: unknown): void => {
    if (Array.isArray(t)) return t.forEach(walk);
    if (!t || typeof t !== 'object') return;
    const tok = t as { type?: string; offset?: number; source?: string };
    if ((tok.type === 'double-quoted-scalar' || tok.type === 'single-quoted-scalar') && tok.offset !== undefined && tok.offset < end && (!best || tok.offset > best.offset)) {
      best = { offset: tok.offset, quote: tok.source![0] };
    }
    for (const v of Object.values(tok)) if (v && typeof v === 'object') walk(v);
  };
  for (const token of new Parser().parse(text)) walk(token);
  return best;
}

/** `jobs: ${JOBS:-8}` should be the number 8, as if the value had been written in place. */
function plainScalar(value: string): unknown {
  try {
    const v = parseYamlValue(value);
    return typeof v === 'number' || typeof v === 'boolean' ? v : value;
  } catch {
    return value;
  }
}

function yamlMessage(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'duplicate key: a key may appear once in a mapping';
  // yaml's messages end with position details we already give in front.
  return 'YAML: ' + message.replace(/ at line \d+, column \d+.*$/s, '').trim();
}
