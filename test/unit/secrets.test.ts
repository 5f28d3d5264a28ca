import { describe, it, expect } from 'vitest';
import { Redactor } from '../../src/secrets.js';

describe('Redactor', () => {
  it('hides a DSN password wherever it appears in arbitrary text', () => {
    const r = new Redactor();
    r.addConninfo("host=n1 dbname=app password='n1 Secret-2'");
    expect(r.redact('pg_restore: error: connection failed: password "n1 Secret-2" rejected; retry n1 Secret-2')).toBe(
      'pg_restore: error: connection failed: password "****" rejected; retry ****',
    );
  });

  it('hides the URL-encoded form of a secret too', () => {
    const r = new Redactor();
    r.addConninfo('postgresql://u:p%40ss%20w%2Frd@h/app');
    expect(r.redact('raw p@ss w/rd, encoded p%40ss%20w%2Frd')).toBe('raw ****, encoded ****');
  });

  it('hides passwords of DSNs it was never told about, in both forms', () => {
    const r = new Redactor();
    expect(r.redact('could not connect to postgresql://other:zzz@host/db: refused')).toBe('could not connect to postgresql://other:****@host/db: refused');
    expect(r.redact("conninfo host=x password=qqq user=y; also password = 'a b'")).toBe('conninfo host=x password=**** user=y; also password = ****');
  });

  it('hides a longer secret whole when a shorter one is inside it', () => {
    const r = new Redactor();
    r.addSecret('secret');
    r.addSecret('secret-and-more');
    expect(r.redact('x secret-and-more y secret z')).toBe('x **** y **** z');
  });

  it('ignores one- and two-character secrets, which would shred every text', () => {
    const r = new Redactor();
    r.addSecret('ab');
    r.addSecret('');
    r.addSecret(undefined);
    expect(r.redact('a cab about ab')).toBe('a cab about ab');
  });

  it('an unreadable DSN is no error and teaches nothing', () => {
    const r = new Redactor();
    expect(() => r.addConninfo("host='unterminated")).not.toThrow();
    r.addConninfo(undefined);
    expect(r.redact('host unterminated')).toBe('host unterminated');
  });

  it('redactValue redacts every string in a JSON value and leaves the rest', () => {
    const r = new Redactor();
    r.addSecret('s3cret');
    const value = { error: 'auth s3cret failed', nested: [{ dsn: 'postgresql://u:s3cret@h/db' }, 42, null, true] };
    expect(r.redactValue(value)).toEqual({ error: 'auth **** failed', nested: [{ dsn: 'postgresql://u:****@h/db' }, 42, null, true] });
    expect(value.error).toBe('auth s3cret failed');
  });

  it('hides passwords it was never told about: escaped, quoted, sslpassword, in quotes or after punctuation', () => {
    const r = new Redactor();
    expect(r.redact('failed: host=a password=two\\ words dbname=b')).toBe('failed: host=a password=**** dbname=b');
    expect(r.redact("host=a sslpassword='x y' dbname=b")).toBe('host=a sslpassword=**** dbname=b');
    expect(r.redact('invalid option "password=abc"')).toBe('invalid option "password=****"');
    expect(r.redact('postgresql://u@h/db?sslpassword=zz')).toBe('postgresql://u@h/db?sslpassword=****');
  });

  it('learns sslpassword from a DSN too', () => {
    const r = new Redactor();
    r.addConninfo('host=a sslpassword=keyphrase');
    expect(r.redact('the key keyphrase was refused')).toBe('the key **** was refused');
  });
});
