import { describe, it, expect } from 'vitest';
import { ConninfoError, formatKeyValue, isUri, parseConninfo, redactConninfo, splitPassword } from '../../src/plan/conninfo.js';

describe('parseConninfo, URI form', () => {
  it('maps the parts to libpq keywords', () => {
    expect(parseConninfo('postgresql://migrator:s3cret@db.example.com:5433/app')).toEqual({ user: 'migrator', password: 's3cret', host: 'db.example.com', port: '5433', dbname: 'app' });
    expect(parseConninfo('postgres://db.example.com')).toEqual({ host: 'db.example.com' });
    expect(parseConninfo('  POSTGRESQL://u@h/d  ')).toEqual({ user: 'u', host: 'h', dbname: 'd' });
  });

  it('reads several hosts and ports, and IPv6 addresses', () => {
    expect(parseConninfo('postgresql://u@h1:5432,h2:5433,h3/app')).toEqual({ user: 'u', host: 'h1,h2,h3', port: '5432,5433,', dbname: 'app' });
    expect(parseConninfo('postgresql://[2001:db8::1]:5432,[::1]/app')).toEqual({ host: '2001:db8::1,::1', port: '5432,', dbname: 'app' });
  });

  it('reads query parameters, percent-decoded', () => {
    expect(parseConninfo('postgresql:///app?host=%2Fvar%2Frun%2Fpostgresql&sslmode=verify-full&application_name=pgedge%20migrate')).toEqual({
      dbname: 'app',
      host: '/var/run/postgresql',
      sslmode: 'verify-full',
      application_name: 'pgedge migrate',
    });
    expect(parseConninfo('postgresql://h/app?password=p%26w')).toEqual({ host: 'h', dbname: 'app', password: 'p&w' });
  });

  it('decodes percent-encoded user names and passwords', () => {
    expect(parseConninfo('postgresql://us%40r:p%40ss%3Aw%2Frd@h/app')).toMatchObject({ user: 'us@r', password: 'p@ss:w/rd' });
  });

  it('takes the user information up to the first @, as libpq does, so a password may hold ? and :', () => {
    expect(parseConninfo('postgresql://u:pa?s:s@h/app?sslmode=require')).toEqual({ user: 'u', password: 'pa?s:s', host: 'h', dbname: 'app', sslmode: 'require' });
  });

  it('an empty password is no password', () => {
    expect(parseConninfo('postgresql://u:@h/app')).toEqual({ user: 'u', host: 'h', dbname: 'app' });
  });

  it('rejects what libpq would reject, without quoting a password in the message', () => {
    expect(() => parseConninfo('postgresql://h/app?sslmode')).toThrow(ConninfoError);
    expect(() => parseConninfo('postgresql://h:port/app')).toThrow('cannot read host "h:port"');
    expect(() => parseConninfo('postgresql://u:%zzsecret@h/app')).toThrow('bad percent-encoding in the password');
    try {
      parseConninfo('postgresql://u:%zzsecret@h/app');
    } catch (e) {
      expect((e as Error).message).not.toContain('secret');
    }
  });
});

describe('parseConninfo, key=value form', () => {
  it('reads plain values, spaces around =, and any order', () => {
    expect(parseConninfo('host=h port=5432 dbname=app')).toEqual({ host: 'h', port: '5432', dbname: 'app' });
    expect(parseConninfo('  host = h\tdbname =app  ')).toEqual({ host: 'h', dbname: 'app' });
    expect(parseConninfo('')).toEqual({});
  });

  it('reads quoted values with escaped quotes and backslashes, and empty values', () => {
    expect(parseConninfo("password='it\\'s a \\\\ secret' user=u")).toEqual({ password: "it's a \\ secret", user: 'u' });
    expect(parseConninfo("options='-c search_path=app' password=''")).toEqual({ options: '-c search_path=app', password: '' });
  });

  it('reads backslash escapes in unquoted values', () => {
    expect(parseConninfo('password=two\\ words host=h')).toEqual({ password: 'two words', host: 'h' });
  });

  it('reads several hosts', () => {
    expect(parseConninfo('host=h1,h2 port=5432,5433 target_session_attrs=read-write')).toEqual({ host: 'h1,h2', port: '5432,5433', target_session_attrs: 'read-write' });
  });

  it('the last of a repeated keyword wins', () => {
    expect(parseConninfo('host=a host=b')).toEqual({ host: 'b' });
  });

  it('rejects malformed strings, naming the place but not the text', () => {
    expect(() => parseConninfo("host='h")).toThrow('unterminated quoted value for "host"');
    expect(() => parseConninfo('host=h dbname')).toThrow('expected keyword=value at character 8, after the value of host');
    // An unquoted password with a space: the second word must not be repeated back.
    expect(() => parseConninfo('password=correct horse')).toThrow(/^expected keyword=value at character 18, after the value of password \(quote values/);
    try {
      parseConninfo('password=correct horse');
    } catch (e) {
      expect((e as Error).message).not.toContain('horse');
    }
  });
});

describe('isUri', () => {
  it('knows both schemes, in any case', () => {
    expect(isUri('postgresql://h')).toBe(true);
    expect(isUri('postgres://h')).toBe(true);
    expect(isUri(' PostgreSQL://h')).toBe(true);
    expect(isUri('host=h')).toBe(false);
    expect(isUri('mysql://h')).toBe(false);
  });
});

describe('formatKeyValue', () => {
  it('quotes what libpq needs quoted', () => {
    expect(formatKeyValue({ host: 'h', password: "it's a \\ secret", options: '', dbname: 'app' })).toBe("host=h password='it\\'s a \\\\ secret' options='' dbname=app");
  });

  it('round-trips through parseConninfo', () => {
    const info = { host: 'h1,h2', user: 'o\'brien', password: 'a b\\c', dbname: 'my db' };
    expect(parseConninfo(formatKeyValue(info))).toEqual(info);
  });
});

describe('redactConninfo', () => {
  it.each([
    ['postgresql://migrator:s3cret@db.example.com:5432/app?sslmode=require', 'postgresql://migrator:****@db.example.com:5432/app?sslmode=require'],
    ['postgres://u:p%40ss@h1:5432,h2:5433/app', 'postgres://u:****@h1:5432,h2:5433/app'],
    ['postgresql://u:pa?ss@h/app', 'postgresql://u:****@h/app'],
    ['postgresql://h/app?sslmode=require&password=s3cret&application_name=x', 'postgresql://h/app?sslmode=require&password=****&application_name=x'],
    ['postgresql://h/app?sslpassword=keyphrase', 'postgresql://h/app?sslpassword=****'],
    ['postgresql://u@h/app', 'postgresql://u@h/app'],
    ['postgresql://u:@h/app', 'postgresql://u:@h/app'],
    ['postgresql://h:5432/app', 'postgresql://h:5432/app'],
  ])('URI %s', (dsn, redacted) => {
    expect(redactConninfo(dsn)).toBe(redacted);
  });

  it.each([
    ['host=h password=s3cret dbname=app', 'host=h password=**** dbname=app'],
    ["host=h password='two words' dbname=app", 'host=h password=**** dbname=app'],
    ["password='it\\'s' host=h", 'password=**** host=h'],
    ['password=two\\ words host=h', 'password=**** host=h'],
    ['host=h password = s3cret', 'host=h password = ****'],
    ['password=first host=h password=second', 'password=**** host=h password=****'],
    ['sslpassword=keyphrase host=h', 'sslpassword=**** host=h'],
    ["password='never closed", 'password=****'],
    ['host=h dbname=app', 'host=h dbname=app'],
  ])('key=value %s', (dsn, redacted) => {
    expect(redactConninfo(dsn)).toBe(redacted);
  });
});

describe('splitPassword', () => {
  it('takes the password out of either form and gives the rest as key=value', () => {
    expect(splitPassword('postgresql://migrator:s%20cret@db:5433/app?sslmode=require')).toEqual({ dsn: 'user=migrator dbname=app host=db port=5433 sslmode=require', password: 's cret' });
    expect(splitPassword("host=h password='a b' dbname=app")).toEqual({ dsn: 'host=h dbname=app', password: 'a b' });
  });

  it('leaves a DSN without a password as it was, in key=value form', () => {
    expect(splitPassword('postgresql://u@h/app')).toEqual({ dsn: 'user=u dbname=app host=h', password: undefined });
  });

  it('the rest parses back to the same connection without the password', () => {
    const { dsn } = splitPassword('postgresql://u:p@h1,h2:5433/my%20db');
    expect(parseConninfo(dsn)).toEqual({ user: 'u', host: 'h1,h2', port: ',5433', dbname: 'my db' });
  });
});
