// libpq connection strings, in both of libpq's forms (URI and key=value), parsed
// without a network so that passwords can be found, hidden and moved out of
// command lines. Grammar: https://www.postgresql.org/docs/current/libpq-connect.html

export type Conninfo = Record<string, string>;

export const REDACTED = '****';

const URI = /^postgres(?:ql)?:\/\//i;

export function isUri(dsn: string): boolean {
  return URI.test(dsn.trim());
}

export class ConninfoError extends Error {}

/** Keyword/value pairs of either form; URI parts map to libpq's keywords. */
export function parseConninfo(dsn: string): Conninfo {
  return isUri(dsn) ? parseUri(dsn.trim()) : parseKeyValue(dsn);
}

function parseUri(dsn: string): Conninfo {
  const out: Conninfo = {};
  let rest = dsn.replace(URI, '');
  const q = rest.indexOf('?');
  const query = q >= 0 ? rest.slice(q + 1) : '';
  if (q >= 0) rest = rest.slice(0, q);
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  if (slash >= 0 && rest.length > slash + 1) out.dbname = decode(rest.slice(slash + 1));
  const at = authority.lastIndexOf('@');
  const hosts = at >= 0 ? authority.slice(at + 1) : authority;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      out.user = decode(userinfo.slice(0, colon));
      out.password = decode(userinfo.slice(colon + 1));
    } else if (userinfo) out.user = decode(userinfo);
  }
  if (hosts) {
    const hostList: string[] = [];
    const portList: string[] = [];
    for (const hp of hosts.split(',')) {
      const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hp);
      if (!m) throw new ConninfoError(`cannot read host "${hp}"`);
      hostList.push(decode(m[1].replace(/^\[|\]$/g, '')));
      portList.push(m[2] ?? '');
    }
    if (hostList.some(Boolean)) out.host = hostList.join(',');
    if (portList.some(Boolean)) out.port = portList.join(',');
  }
  if (query) {
    for (const kv of query.split('&')) {
      if (!kv) continue;
      const eq = kv.indexOf('=');
      if (eq < 0) throw new ConninfoError(`URI parameter "${kv}" has no value`);
      out[decode(kv.slice(0, eq))] = decode(kv.slice(eq + 1));
    }
  }
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ConninfoError(`bad percent-encoding in "${s}"`);
  }
}

function parseKeyValue(dsn: string): Conninfo {
  const out: Conninfo = {};
  let i = 0;
  const n = dsn.length;
  const skipSpace = () => {
    while (i < n && /\s/.test(dsn[i])) i++;
  };
  while (true) {
    skipSpace();
    if (i >= n) break;
    const keyStart = i;
    while (i < n && /[A-Za-z0-9_]/.test(dsn[i])) i++;
    const key = dsn.slice(keyStart, i);
    skipSpace();
    if (!key || dsn[i] !== '=') throw new ConninfoError(`expected key=value at "${dsn.slice(keyStart, keyStart + 20)}"`);
    i++;
    skipSpace();
    let value = '';
    if (dsn[i] === "'") {
      i++;
      while (i < n && dsn[i] !== "'") {
        if (dsn[i] === '\\' && i + 1 < n) i++;
        value += dsn[i++];
      }
      if (i >= n) throw new ConninfoError(`unterminated quoted value for "${key}"`);
      i++;
    } else {
      while (i < n && !/\s/.test(dsn[i])) {
        if (dsn[i] === '\\' && i + 1 < n) i++;
        value += dsn[i++];
      }
    }
    out[key] = value;
  }
  return out;
}

/** key=value form, values quoted where libpq needs it. */
export function formatKeyValue(info: Conninfo): string {
  return Object.entries(info)
    .map(([k, v]) => `${k}=${v === '' || /[\s'\\]/.test(v) ? `'${v.replace(/(['\\])/g, '\\$1')}'` : v}`)
    .join(' ');
}

/** The same string with its password shown as ****, in the form it was written. */
export function redactConninfo(dsn: string): string {
  if (isUri(dsn)) {
    return dsn
      .replace(/^(postgres(?:ql)?:\/\/[^:@/?]*:)([^@/?]*)(@)/i, `$1${REDACTED}$3`)
      .replace(/([?&]password=)[^&]*/i, `$1${REDACTED}`);
  }
  return dsn.replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/i, `$1${REDACTED}`);
}

/** The password (if any) and the rest, for passing the password by PGPASSWORD, never on a command line. */
export function splitPassword(dsn: string): { dsn: string; password?: string } {
  const info = parseConninfo(dsn);
  const { password, ...rest } = info;
  return { dsn: formatKeyValue(rest), password };
}
