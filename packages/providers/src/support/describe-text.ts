import { createHash } from 'node:crypto';

/** Hex sha256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * A short, log-safe name for a possibly huge prompt: its hash prefix, length and first characters,
 * e.g. `sha256:3f2a9c01… (1532 chars, "The following are multiple…")`.
 */
export function describeText(text: string, prefixLength = 40): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const prefix = flat.length > prefixLength ? `${flat.slice(0, prefixLength)}…` : flat;
  return `sha256:${sha256Hex(text).slice(0, 12)} (${text.length} chars, ${JSON.stringify(prefix)})`;
}
