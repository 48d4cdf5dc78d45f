import { z } from 'zod';
import { CoreError } from '../errors.js';

/**
 * How a prompt becomes a hashed sparse vector. Stored (fully resolved) in every learned artifact, so a
 * model is always applied with the features it was trained on.
 */
export const textFeatureConfigSchema = z.object({
  version: z.literal(1),
  /** log₂ of the number of hash buckets. */
  bits: z.number().int().min(8).max(22),
  /** Also hash adjacent word pairs. */
  bigrams: z.boolean(),
  /**
   * Also hash the tokens of the prompt's last `tailChars` characters in a separate namespace (0 = off):
   * few-shot prompts put the actual question at the end.
   */
  tailChars: z.number().int().nonnegative(),
  /** Add a few cheap shape features (length, digits, LaTeX and code markers, lines). */
  numeric: z.boolean(),
});
export type TextFeatureConfig = z.infer<typeof textFeatureConfigSchema>;

/** Options of the feature hasher; anything left out takes its default. */
export type TextFeatureOptions = Partial<Omit<TextFeatureConfig, 'version'>>;

/** Defaults: 2¹⁸ buckets, unigrams + bigrams, a 1,000-character tail block, shape features. */
export const DEFAULT_TEXT_FEATURES: TextFeatureConfig = {
  version: 1,
  bits: 18,
  bigrams: true,
  tailChars: 1000,
  numeric: true,
};

/** Fills in defaults and validates. */
export function resolveTextFeatures(options: TextFeatureOptions = {}): TextFeatureConfig {
  const parsed = textFeatureConfigSchema.safeParse({ ...DEFAULT_TEXT_FEATURES, ...options, version: 1 });
  if (!parsed.success) throw new CoreError(`text features: invalid options: ${parsed.error.message}`);
  return parsed.data;
}

/** A sparse vector: ascending distinct bucket indices and their values. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a (32 bit) over the UTF-16 code units of `text`, continuing from `hash`. Unsigned result. */
export function fnv1a32(text: string, hash: number = FNV_OFFSET): number {
  let h = hash >>> 0;
  for (let index = 0; index < text.length; index += 1) {
    h ^= text.charCodeAt(index);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

const NON_ASCII_LETTER = /\p{L}/u;
const NON_ASCII_NUMBER = /\p{N}/u;
const NON_ASCII_SPACE = /\s/u;

const CharClass = { Space: 0, Letter: 1, Digit: 2, Symbol: 3 } as const;
type CharClass = (typeof CharClass)[keyof typeof CharClass];

function classify(text: string, index: number): CharClass {
  const code = text.charCodeAt(index);
  if (code < 128) {
    if (code >= 97 && code <= 122) return CharClass.Letter;
    if (code >= 48 && code <= 57) return CharClass.Digit;
    if (code === 32 || (code >= 9 && code <= 13)) return CharClass.Space;
    if (code >= 65 && code <= 90) return CharClass.Letter; // only if not lowercased
    return CharClass.Symbol;
  }
  const char = text[index] ?? '';
  if (NON_ASCII_LETTER.test(char)) return CharClass.Letter;
  if (NON_ASCII_NUMBER.test(char)) return CharClass.Digit;
  if (NON_ASCII_SPACE.test(char)) return CharClass.Space;
  return CharClass.Symbol;
}

/**
 * Calls `visit(start, end, kind)` for each token of an already lowercased text: letter runs, digit runs,
 * and every other non-space UTF-16 code unit on its own.
 */
function scanTokens(text: string, visit: (start: number, end: number, kind: CharClass) => void): void {
  let index = 0;
  while (index < text.length) {
    const kind = classify(text, index);
    if (kind === CharClass.Space) {
      index += 1;
      continue;
    }
    let end = index + 1;
    if (kind !== CharClass.Symbol) while (end < text.length && classify(text, end) === kind) end += 1;
    visit(index, end, kind);
    index = end;
  }
}

/** Digit runs longer than this collapse to the shape token `<num>`. */
const MAX_NUMBER_DIGITS = 3;
const NUMBER_TOKEN = '<num>';

/**
 * Deterministic tokens of a prompt: lowercase letter runs, digit runs (longer than 3 digits collapse to
 * one shape token `<num>`) and every other non-space character on its own (so code and LaTeX symbols
 * count). {@link hashTextFeatures} hashes exactly these tokens.
 */
export function tokenizePrompt(prompt: string): string[] {
  const text = prompt.toLowerCase();
  const tokens: string[] = [];
  scanTokens(text, (start, end, kind) => {
    tokens.push(kind === CharClass.Digit && end - start > MAX_NUMBER_DIGITS ? NUMBER_TOKEN : text.slice(start, end));
  });
  return tokens;
}

function hashRange(text: string, start: number, end: number, hash: number): number {
  let h = hash;
  for (let index = start; index < end; index += 1) {
    h ^= text.charCodeAt(index);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

// Namespaces keep the blocks' hashes apart.
const WORD = fnv1a32('w:');
const TAIL = fnv1a32('t:');
const NUMERIC = fnv1a32('n:');

/** Per-bucket scratch space reused between calls (single-threaded, so never shared mid-call). */
class Accumulator {
  readonly values: Float64Array;
  readonly touched: number[] = [];
  constructor(size: number) {
    this.values = new Float64Array(size);
  }
  add(index: number, value: number): void {
    if (this.values[index] === 0) this.touched.push(index);
    this.values[index] = (this.values[index] ?? 0) + value;
  }
  clear(): void {
    for (const index of this.touched) this.values[index] = 0;
    this.touched.length = 0;
  }
}
const accumulators = new Map<number, { counts: Accumulator; total: Accumulator }>();
function accumulatorsFor(bits: number): { counts: Accumulator; total: Accumulator } {
  let entry = accumulators.get(bits);
  if (entry === undefined) {
    entry = { counts: new Accumulator(1 << bits), total: new Accumulator(1 << bits) };
    accumulators.set(bits, entry);
  }
  return entry;
}

/** 1 + ln(count) for small counts. */
const LOG_TABLE = Float64Array.from({ length: 64 }, (_, count) => (count === 0 ? 0 : 1 + Math.log(count)));

/** The bucket of a hash (the high bits folded into the low ones). */
function bucketOf(hash: number, bits: number): number {
  return (hash ^ (hash >>> bits)) & ((1 << bits) - 1);
}

/** Hash of the ordered pair (first, second): a multiplicative mix of the two token hashes. */
function pairHash(first: number, second: number): number {
  let h = Math.imul(first ^ 0x9e3779b9, 0x85ebca6b) ^ second;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Adds one block of token hashes (log-scaled counts, L2-normalised) of lowercased `text` into `total`. */
function addTokenBlock(
  total: Accumulator,
  counts: Accumulator,
  text: string,
  namespace: number,
  config: TextFeatureConfig,
): void {
  const { bits, bigrams } = config;
  const numberHash = fnv1a32(NUMBER_TOKEN, namespace);
  counts.clear();
  let previous = 0;
  let first = true;
  const length = text.length;
  let index = 0;
  while (index < length) {
    const kind = classify(text, index);
    if (kind === CharClass.Space) {
      index += 1;
      continue;
    }
    let end = index + 1;
    if (kind !== CharClass.Symbol) while (end < length && classify(text, end) === kind) end += 1;
    const hash =
      kind === CharClass.Digit && end - index > MAX_NUMBER_DIGITS ? numberHash : hashRange(text, index, end, namespace);
    counts.add(bucketOf(hash, bits), 1);
    if (bigrams && !first) counts.add(bucketOf(pairHash(previous, hash), bits), 1);
    previous = hash;
    first = false;
    index = end;
  }
  let norm = 0;
  for (const bucket of counts.touched) {
    const count = counts.values[bucket] ?? 1;
    const value = count < LOG_TABLE.length ? (LOG_TABLE[count] ?? 1) : 1 + Math.log(count);
    counts.values[bucket] = value;
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (const bucket of counts.touched) total.add(bucket, (counts.values[bucket] ?? 0) / norm);
  counts.clear();
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let index = text.indexOf(needle); index !== -1; index = text.indexOf(needle, index + needle.length)) count += 1;
  return count;
}

const OPTION_LINE = /^\s*\(?[A-J][).:]\s/gm;

/** Shape features, each roughly in [0, 1]. */
function numericFeatures(prompt: string): [string, number][] {
  const length = prompt.length;
  let digits = 0;
  let lines = 0;
  let latex = 0;
  let code = 0;
  for (let index = 0; index < length; index += 1) {
    const char = prompt.charCodeAt(index);
    if (char >= 48 && char <= 57) digits += 1;
    else if (char === 10) lines += 1;
    // Dollar, caret, backslash.
    else if (char === 36 || char === 94 || char === 92) latex += 1;
    // Braces and semicolons.
    else if (char === 123 || char === 125 || char === 59) code += 1;
  }
  code += countOccurrences(prompt, 'def ') + countOccurrences(prompt, 'return') + countOccurrences(prompt, '==');
  code += countOccurrences(prompt, 'assert ');
  return [
    ['log-length', Math.log1p(length) / 10],
    ['digit-share', length === 0 ? 0 : digits / length],
    ['latex', Math.log1p(latex) / 5],
    ['code', Math.log1p(code) / 5],
    ['lines', Math.log1p(lines) / 5],
    ['options', Math.log1p(prompt.match(OPTION_LINE)?.length ?? 0) / 3],
  ];
}

/**
 * The prompt as a hashed sparse vector: word (and word-pair) tokens of the whole prompt, optionally of
 * its tail, each block log-scaled and L2-normalised, plus optional shape features. Pure and cheap
 * (thousands of prompts per second).
 */
export function hashTextFeatures(prompt: string, config: TextFeatureConfig = DEFAULT_TEXT_FEATURES): SparseVector {
  const { counts, total } = accumulatorsFor(config.bits);
  total.clear();
  const text = prompt.toLowerCase();
  addTokenBlock(total, counts, text, WORD, config);
  // A prompt shorter than the tail is its own tail.
  if (config.tailChars > 0) addTokenBlock(total, counts, text.slice(-config.tailChars), TAIL, config);
  if (config.numeric) {
    for (const [name, value] of numericFeatures(prompt)) {
      if (value !== 0) total.add(bucketOf(fnv1a32(name, NUMERIC), config.bits), value);
    }
  }
  const sorted = Uint32Array.from(total.touched).sort();
  const indices = Array.from(sorted);
  const values = indices.map((index) => total.values[index] ?? 0);
  total.clear();
  return { indices, values };
}
