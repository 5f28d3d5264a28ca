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

/**
 * The parts of a URI as libpq splits them (conninfo_uri_parse_options): the
 * user information runs to the first '@' before any '/', so a password may hold
 * '?', ':' or ',' unencoded; the hosts run to the first '/' or '?'.
 */
function uriParts(dsn: string): { scheme: string; userinfo?: string; hosts: string; path?: string; query?: string } {
  const scheme = URI.exec(dsn)![0];
  let rest = dsn.slice(scheme.length);
  let userinfo: string | undefined;
  const designator = /[@/]/.exec(rest);
  if (designator?.[0] === '@') {
    userinfo = rest.slice(0, designator.index);
    rest = rest.slice(designator.index + 1);
  }
  const hostEnd = /[/?]/.exec(rest);
  const hosts = hostEnd ? rest.slice(0, hostEnd.index) : rest;
  rest = hostEnd ? rest.slice(hostEnd.index) : '';
  let path: string | undefined;
  if (rest.startsWith('/')) {
    const q = rest.indexOf('?');
    path = q >= 0 ? rest.slice(1, q) : rest.slice(1);
    rest = q >= 0 ? rest.slice(q) : '';
  }
  return { scheme, userinfo, hosts, path, query: rest.startsWith('?') ? rest.slice(1) : undefined };
}

function parseUri(dsn: string): Conninfo {
  const out: Conninfo = {};
  const { userinfo, hosts, path, query } = uriParts(dsn);
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (user) out.user = decode(user, 'user name');
    if (colon >= 0 && colon + 1 < userinfo.length) out.password = decode(userinfo.slice(colon + 1), 'password');
  }
  if (path) out.dbname = decode(path, 'database name');
  if (hosts) {
    const hostList: string[] = [];
    const portList: string[] = [];
    for (const hp of hosts.split(',')) {
      const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hp);
      if (!m) throw new ConninfoError(`cannot read host "${hp}"`);
      hostList.push(decode(m[1].replace(/^\[|\]$/g, ''), 'host'));
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
      const key = decode(kv.slice(0, eq), 'parameter name');
      out[key] = decode(kv.slice(eq + 1), `value of ${key}`);
    }
  }
  return out;
}

/** Percent-decoding; the message names the part, never its text, which may be a password. */
function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ConninfoError(`bad percent-encoding in the ${what}`);
  }
}

function parseKeyValue(dsn: string): Conninfo {
  const out: Conninfo = {};
  let i = 0;
  const n = dsn.length;
  let previous: string | undefined;
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
    if (!key || dsn[i] !== '=') {
      // Not quoting the text: after an unquoted password with a space, it is the password.
      const after = previous ? `, after the value of ${previous} (quote values that contain spaces: ${previous}='...')` : '';
      throw new ConninfoError(`expected keyword=value at character ${keyStart + 1}${after}`);
    }
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
    previous = key;
  }
  return out;
}

/** key=value form, values quoted where libpq needs it. */
export function formatKeyValue(info: Conninfo): string {
  return Object.entries(info)
    .map(([k, v]) => `${k}=${v === '' || /[\s'\\]/.test(v) ? `'${v.replace(/(['\\])/g, '\\$1')}'` : v}`)
    .join(' ');
}

// Keywords whose values are secrets: the password, and the passphrase of the client's SSL key.
const SECRET_KEYS = '(?:ssl)?password';

/** The same string with its passwords shown as ****, in the form it was written. */
export function redactConninfo(dsn: string): string {
  if (isUri(dsn)) {
    const lead = dsn.length - dsn.trimStart().length;
    const { scheme, userinfo } = uriParts(dsn.trim());
    let out = dsn;
    const colon = userinfo?.indexOf(':') ?? -1;
    if (userinfo !== undefined && colon >= 0 && colon + 1 < userinfo.length) {
      const at = lead + scheme.length + colon + 1;
      out = out.slice(0, at) + REDACTED + out.slice(at + userinfo.length - colon - 1);
    }
    return out.replace(new RegExp(`([?&]${SECRET_KEYS}=)[^&]*`, 'gi'), `$1${REDACTED}`);
  }
  // Every occurrence (libpq takes the last), quoted or not; an unquoted value may hold backslash escapes.
  return dsn.replace(new RegExp(`((?:^|\\s)${SECRET_KEYS}\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'?|(?:\\\\.|[^\\s\\\\])+)`, 'gi'), `$1${REDACTED}`);
}

/** The password (if any) and the rest, for passing the password by PGPASSWORD, never on a command line. */
export function splitPassword(dsn: string): { dsn: string; password?: string } {
  const info = parseConninfo(dsn);
  const { password, ...rest } = info;
  return { dsn: formatKeyValue(rest), password };
}

/**
 * libpq's connection keywords (PQconndefaults, PostgreSQL 15, and those 16 and
 * 17 added): libpq refuses any other, so a misspelt one is caught at validate.
 */
export const LIBPQ_KEYWORDS = [
  'host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'passfile', 'channel_binding', 'connect_timeout',
  'client_encoding', 'options', 'application_name', 'fallback_application_name', 'keepalives', 'keepalives_idle',
  'keepalives_interval', 'keepalives_count', 'tcp_user_timeout', 'replication', 'sslmode', 'sslcompression', 'sslcert',
  'sslkey', 'sslpassword', 'sslrootcert', 'sslcrl', 'sslcrldir', 'sslsni', 'requirepeer', 'ssl_min_protocol_version',
  'ssl_max_protocol_version', 'gssencmode', 'krbsrvname', 'gsslib', 'service', 'target_session_attrs',
  'load_balance_hosts', 'require_auth', 'sslcertmode', 'gssdelegation', 'sslnegotiation', 'sslkeylogfile',
];
