/**
 * Checks a parsed JSON value before it is stored: every string and key must be text Postgres can store
 * (no NUL character, no lone UTF-16 surrogate), and nesting is capped. The walk is iterative: a value
 * nested thousands of levels deep (a few kilobytes of brackets) is refused with its path instead of
 * overflowing the stack.
 */

/** The deepest nesting of arrays and objects a request body or batch line may have. */
export const MAX_JSON_DEPTH = 100;

/** A lone UTF-16 surrogate (not Unicode; Postgres refuses it). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

/** What is wrong where: `path` is printable ASCII (other characters shown as `?`). */
export interface JsonTextProblem {
  problem: 'text' | 'depth';
  path: string;
  /** A sentence naming the path and the problem. */
  message: string;
}

/** The first string or key that cannot be stored, or the first place nested too deeply; null if none. */
export function findJsonTextProblem(value: unknown, rootName: string): JsonTextProblem | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  const shown = (path: string) => (path || rootName).replace(/[^\x20-\x7e]/g, '?');
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof item.value === 'string') {
      if (!isStorableText(item.value)) return textProblem(shown(item.path));
      continue;
    }
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth >= MAX_JSON_DEPTH) {
      const path = shown(item.path);
      return { problem: 'depth', path, message: `${path}: nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    const children: { value: unknown; path: string; depth: number }[] = [];
    if (Array.isArray(item.value)) {
      item.value.forEach((child, index) => {
        children.push({ value: child, path: `${item.path}[${index}]`, depth: item.depth + 1 });
      });
    } else {
      for (const [key, child] of Object.entries(item.value)) {
        const path = item.path ? `${item.path}.${key}` : key;
        if (!isStorableText(key)) return textProblem(shown(path));
        children.push({ value: child, path, depth: item.depth + 1 });
      }
    }
    // In document order: the first problem found is the first in the text.
    for (let index = children.length - 1; index >= 0; index -= 1) stack.push(children[index] as (typeof children)[0]);
  }
  return null;
}

function textProblem(path: string): JsonTextProblem {
  return { problem: 'text', path, message: `${path}: text must be valid Unicode without NUL characters` };
}
