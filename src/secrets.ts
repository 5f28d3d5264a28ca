// Passwords reach this process through DSNs and the environment; every text the
// tool writes (terminal, logs, journal, reports, runbooks) passes through one
// Redactor so that none of them can carry a secret, whatever a tool echoed back.
import { REDACTED, isUri, parseConninfo, redactConninfo } from './plan/conninfo.js';

export class Redactor {
  private readonly secrets = new Set<string>();

  addSecret(value: string | undefined): void {
    // One- and two-character "secrets" would shred every text they appear in.
    if (value && value.length >= 3) {
      this.secrets.add(value);
      this.secrets.add(encodeURIComponent(value));
    }
  }

  addConninfo(dsn: string | undefined): void {
    if (!dsn) return;
    try {
      const info = parseConninfo(dsn);
      this.addSecret(info.password);
      this.addSecret(info.sslpassword);
    } catch {
      // An unreadable DSN is reported by validation; nothing to learn from it here.
    }
  }

  redact(text: string): string {
    let out = text.replace(/postgres(?:ql)?:\/\/[^\s'"]+/gi, (uri) => (isUri(uri) ? redactConninfo(uri) : uri));
    // key=value text anywhere (a DSN echoed in an error): the same rule as for a DSN.
    out = redactConninfo(out);
    // ... and inside quotes or after punctuation, where a DSN's own rule does not look.
    out = out.replace(/(\b(?:ssl)?password\s*=\s*)(?!\*{4})('(?:[^'\\]|\\.)*'|[^\s'"]+)/gi, `$1${REDACTED}`);
    // Longest first, so a secret containing another is hidden whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
    return out;
  }

  /** Deep copy of a JSON-able value with every string redacted. */
  redactValue<T>(value: T): T {
    return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'string' ? this.redact(v) : v))) as T;
  }
}
