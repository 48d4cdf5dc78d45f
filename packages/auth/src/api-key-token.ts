import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every API key starts with this, so a leaked key is recognisable (secret scanners, logs). */
export const API_KEY_PREFIX = 'sy_';

/** `sy_` + 43 base64url characters: 256 random bits. */
const API_KEY_PATTERN = /^sy_[A-Za-z0-9_-]{43}$/;

/** Characters of the key kept in clear (`sy_` + 8): enough to find a key and show it in listings. */
export const API_KEY_LOOKUP_LENGTH = API_KEY_PREFIX.length + 8;

/** A new random API key; show it once, store only {@link hashApiKey} of it. */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Whether `token` has the shape of a Switchyard API key (says nothing about whether it exists). */
export function isWellFormedApiKey(token: string): boolean {
  return API_KEY_PATTERN.test(token);
}

/** The clear part stored beside the hash, used to look the key up before comparing hashes. */
export function apiKeyLookupPrefix(key: string): string {
  return key.slice(0, API_KEY_LOOKUP_LENGTH);
}

/** sha256 of the key, hex. Keys are 256-bit random, so a fast hash is enough (no password stretching). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Constant-time comparison of two secrets of any length: both are hashed first, so neither the
 * content nor the length of the expected value leaks through timing.
 */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
