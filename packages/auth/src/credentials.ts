import { secretsEqual } from './api-key-token.js';

/** The credentials an `Authorization` header carries. */
export type Credentials =
  | { scheme: 'bearer'; token: string }
  | { scheme: 'basic'; user: string; password: string }
  | { scheme: 'none' }
  | { scheme: 'invalid'; reason: string };

/** Parses `Authorization: Bearer <token>` or `Basic <base64(user:password)>`. */
export function parseAuthorization(header: string | undefined): Credentials {
  if (header === undefined || header.trim() === '') return { scheme: 'none' };
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return { scheme: 'invalid', reason: 'Authorization must be "Bearer <key>"' };
  const [, scheme = '', value = ''] = match;
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return { scheme: 'bearer', token: value };
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { scheme: 'invalid', reason: 'Basic credentials must be base64 of "user:password"' };
      return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    default:
      return { scheme: 'invalid', reason: `unsupported Authorization scheme ${JSON.stringify(scheme.slice(0, 20))}` };
  }
}

/**
 * Whether the header carries the operator token: as a Bearer token (scripts, Prometheus), or as the
 * password of HTTP basic auth with any user name (browsers, for the dashboard). Constant time.
 */
export function isOperator(header: string | undefined, operatorToken: string): boolean {
  const credentials = parseAuthorization(header);
  switch (credentials.scheme) {
    case 'bearer':
      return secretsEqual(credentials.token, operatorToken);
    case 'basic':
      return secretsEqual(credentials.password, operatorToken);
    case 'none':
    case 'invalid':
      return false;
  }
}
