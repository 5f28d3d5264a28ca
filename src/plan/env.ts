// ${VAR} and ${VAR:-default} inside plan strings, resolved at load time so that
// secrets stay out of the plan file and one plan serves several environments.
// `$$` stands for a literal `$`.

export interface EnvReferenceError {
  /** Offset of the reference inside the string. */
  index: number;
  /** The reference as written: `${NAME}`, or `${` when unterminated. */
  reference: string;
  message: string;
}

const REF = /\$\$|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function interpolate(
  text: string,
  env: Record<string, string | undefined>,
): { value: string; errors: EnvReferenceError[]; names: string[] } {
  const errors: EnvReferenceError[] = [];
  const names: string[] = [];
  const value = text.replace(REF, (match, body: string | undefined, index: number) => {
    if (match === '$$') return '$';
    if (body === undefined) {
      errors.push({ index, reference: match, message: 'unterminated ${ reference (write $$ for a literal $)' });
      return match;
    }
    const sep = body.indexOf(':-');
    const name = sep >= 0 ? body.slice(0, sep) : body;
    if (!NAME.test(name)) {
      errors.push({ index, reference: match, message: `"\${${body}}" is not a variable reference: use \${NAME} or \${NAME:-default}` });
      return match;
    }
    names.push(name);
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (sep >= 0) return body.slice(sep + 2);
    errors.push({ index, reference: match, message: `environment variable ${name} is ${v === '' ? 'empty' : 'not set'} (write \${${name}:-default} for a default)` });
    return match;
  });
  return { value, errors, names };
}
