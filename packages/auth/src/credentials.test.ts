import { describe, expect, it } from 'vitest';
import { isOperator, parseAuthorization } from './credentials.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Authorization header', () => {
  it('parses bearer and basic credentials', () => {
    expect(parseAuthorization('Bearer sy_abc')).toEqual({ scheme: 'bearer', token: 'sy_abc' });
    expect(parseAuthorization('bearer   sy_abc ')).toEqual({ scheme: 'bearer', token: 'sy_abc' });
    expect(parseAuthorization(basic('ops', 'p:w'))).toEqual({ scheme: 'basic', user: 'ops', password: 'p:w' });
    expect(parseAuthorization(undefined)).toEqual({ scheme: 'none' });
    expect(parseAuthorization('   ')).toEqual({ scheme: 'none' });
  });

  it('says what is wrong with a malformed header', () => {
    expect(parseAuthorization('sy_abc')).toMatchObject({ scheme: 'invalid' });
    expect(parseAuthorization('Token sy_abc')).toMatchObject({
      scheme: 'invalid',
      reason: expect.stringContaining('Token'),
    });
    expect(parseAuthorization(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toMatchObject({
      scheme: 'invalid',
    });
  });

  it('accepts the operator token as a bearer token or as any user’s basic password, nothing else', () => {
    const token = 'operator-token-0123456789';
    expect(isOperator(`Bearer ${token}`, token)).toBe(true);
    expect(isOperator(basic('anyone', token), token)).toBe(true);
    expect(isOperator(basic(token, 'wrong'), token)).toBe(false);
    expect(isOperator(`Bearer ${token}x`, token)).toBe(false);
    expect(isOperator(undefined, token)).toBe(false);
    expect(isOperator('garbage', token)).toBe(false);
  });
});
