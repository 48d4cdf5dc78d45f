import { describe, expect, it } from 'vitest';
import { DatabaseSetupError, parseDatabaseUrl } from './database-url.js';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it('masks the password of the userinfo', () => {
    const redacted = redactUrl('postgresql://postgres:PWuser@127.0.0.1:5432/db');
    expect(redacted).not.toContain('PWuser');
    expect(redacted).toBe('postgresql://postgres:***@127.0.0.1:5432/db');
  });

  it('masks a password given as a query parameter (libpq and ioredis read it)', () => {
    const database = redactUrl('postgresql://postgres@127.0.0.1:5432/db?password=PWquery&sslmode=require');
    expect(database).not.toContain('PWquery');
    expect(database).toBe('postgresql://postgres@127.0.0.1:5432/db?password=***&sslmode=require');
    const redis = redactUrl('redis://127.0.0.1:6379?password=PWredis');
    expect(redis).not.toContain('PWredis');
    expect(redis).toContain('redis://127.0.0.1:6379');
  });

  it('masks every query parameter whose name looks secret, whatever its case', () => {
    const names = ['password', 'PASSWORD', 'pass', 'pwd', 'secret', 'token', 'access_token', 'key', 'sslpassword'];
    for (const name of names) {
      const redacted = redactUrl(`postgresql://h/db?${name}=LEAK${name}&application_name=keepme`);
      expect(redacted, name).not.toContain(`LEAK${name}`);
      expect(redacted, name).toContain('application_name=keepme');
    }
  });

  it('never echoes a URL that does not parse, e.g. with an unencoded / in the password', () => {
    const url = 'postgresql://postgres:pa/ssLEAK@127.0.0.1/db';
    const redacted = redactUrl(url);
    expect(redacted).not.toContain('LEAK');
    expect(redacted).not.toContain('pa/ss');
    expect(redacted).toBe(`postgresql://<unparseable, ${url.length} characters>`);
  });

  it('shows nothing of a misparsed password that spilled into the path', () => {
    // Parses as host "postgres", port 12, path "/ssLEAK@127.0.0.1/db".
    const redacted = redactUrl('postgresql://postgres:12/ssLEAK@127.0.0.1/db');
    expect(redacted).not.toContain('LEAK');
  });

  it('masks the password-like values of a libpq key=value string and keeps the rest', () => {
    expect(redactUrl('host=127.0.0.1 password=LEAK dbname=x')).toBe('host=127.0.0.1 password=*** dbname=x');
    const quoted = redactUrl("host=127.0.0.1 password = 'LE AK\\' K' sslpassword=LEAK2 dbname=x");
    expect(quoted).not.toContain('LE');
    expect(quoted).toBe('host=127.0.0.1 password=*** sslpassword=*** dbname=x');
  });

  it('shows only the length of a string that is neither a URL nor key=value', () => {
    expect(redactUrl('password LEAK')).toBe('<unparseable, 13 characters>');
    expect(redactUrl("host=h password='LEAK")).not.toContain('LEAK');
  });
});

describe('parseDatabaseUrl', () => {
  const messageOf = (url: string): string => {
    try {
      parseDatabaseUrl(url);
    } catch (error) {
      expect(error).toBeInstanceOf(DatabaseSetupError);
      return `${(error as DatabaseSetupError).message} ${(error as DatabaseSetupError).hint}`;
    }
    throw new Error(`${url} was accepted`);
  };

  it('redacts a query-parameter password in the target it returns', () => {
    const target = parseDatabaseUrl('postgresql://postgres@127.0.0.1:5432/db?password=PWquery');
    expect(target.redacted).not.toContain('PWquery');
    expect(target.databaseName).toBe('db');
  });

  it('does not echo the password of a URL it cannot parse', () => {
    const message = messageOf('postgresql://postgres:pa/ssLEAK@127.0.0.1/db');
    expect(message).toContain('DATABASE_URL is not a valid URL: postgresql://<unparseable');
    expect(message).not.toContain('LEAK');
  });

  it('does not echo the password of a libpq key=value string', () => {
    const message = messageOf('host=127.0.0.1 password=LEAK dbname=x');
    expect(message).toContain('DATABASE_URL is not a valid URL');
    expect(message).not.toContain('LEAK');
  });

  it('does not echo a query-parameter password of a URL of the wrong scheme', () => {
    const message = messageOf('redis://127.0.0.1:6379?password=LEAK');
    expect(message).toContain('must start with postgresql://');
    expect(message).not.toContain('LEAK');
  });
});
