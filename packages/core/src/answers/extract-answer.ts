import type { AnswerType } from './answer-type.js';

/**
 * The final answer in a model's output, normalised so answers of different models to the same query
 * can be compared with {@link answersEqual}; null when none can be found.
 * - number: JSON `"answer"` field, else `\boxed{}`, else "the answer is X", else the last number;
 *   `$`, `,`, units and LaTeX wrappers are dropped and the first number kept, in canonical form.
 * - choice: the option letter A–J from "the answer is (X)", "Answer: X", `**X**` or a lone leading letter.
 * - literal: JSON `"answer"` field, else "the answer is X", else the last non-empty line; outer quotes dropped.
 * - code: the first fenced block (else the whole text) with whitespace normalised.
 * - latex: JSON `"answer"` field or `\boxed{}`, spaces removed.
 */
export function extractAnswer(text: string, answerType: AnswerType): string | null {
  switch (answerType) {
    case 'number':
      return extractNumberAnswer(text);
    case 'choice':
      return extractChoiceAnswer(text);
    case 'literal':
      return extractLiteralAnswer(text);
    case 'code':
      return extractCodeAnswer(text);
    case 'latex':
      return extractLatexAnswer(text);
    default:
      return assertNever(answerType);
  }
}

/** Normalises an already-extracted answer (e.g. a dataset's recorded `answer`) the same way. */
export function normalizeAnswer(answer: string, answerType: AnswerType): string | null {
  switch (answerType) {
    case 'number':
      return canonicalNumber(answer);
    case 'choice':
      return /^\s*\(?([A-Ja-j])\)?\s*$/.exec(answer)?.[1]?.toUpperCase() ?? extractChoiceAnswer(answer);
    case 'literal':
      return normalizeLiteral(answer);
    case 'code':
      return normalizeCode(answer);
    case 'latex':
      return normalizeLatex(answer);
    default:
      return assertNever(answerType);
  }
}

/** Whether two extracted answers are the same answer (numbers compare numerically). */
export function answersEqual(left: string | null, right: string | null, answerType: AnswerType): boolean {
  if (left === null || right === null) return false;
  if (answerType !== 'number') return left === right;
  const a = Number(left);
  const b = Number(right);
  if (Number.isNaN(a) || Number.isNaN(b)) return left === right;
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

const JSON_ANSWER = /"answer"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(-?[\d.,/]+))/g;

function jsonAnswerField(text: string): string | null {
  // The first "answer" field is the model's final one: the prompts ask for a single JSON object.
  const match = JSON_ANSWER.exec(text);
  JSON_ANSWER.lastIndex = 0;
  if (!match) return null;
  if (match[2] !== undefined) return match[2];
  try {
    return JSON.parse(`"${match[1] ?? ''}"`) as string;
  } catch {
    return match[1] ?? null;
  }
}

function lastBoxed(text: string): string | null {
  const start = text.lastIndexOf('\\boxed{');
  if (start < 0) return null;
  let depth = 0;
  for (let index = start + '\\boxed'.length; index < text.length; index += 1) {
    const character = text[index];
    if (character === '{') depth += 1;
    else if (character === '}') {
      depth -= 1;
      if (depth === 0) return text.slice(start + '\\boxed{'.length, index);
    }
  }
  return null;
}

/**
 * A JSON reply that was started but never reached its "answer" field: the output was cut off (output
 * token limit), so whatever number or line comes last is mid-reasoning, not an answer.
 */
function isTruncatedJsonReply(text: string): boolean {
  return /"reasoning"\s*:/.test(text) && !/"answer"\s*:/.test(text);
}

function extractNumberAnswer(text: string): string | null {
  const field = jsonAnswerField(text);
  if (field !== null) return canonicalNumber(field);
  if (isTruncatedJsonReply(text)) return null;
  for (const candidate of [lastBoxed(text), lastMatch(/answer is[:\s]*([^\n]*)/gi, text)]) {
    const number = candidate === null ? null : canonicalNumber(candidate);
    if (number !== null) return number;
  }
  const numbers = text.replace(/(\d),(\d{3})/g, '$1$2').match(/-?\d+(?:\.\d+)?/g);
  return numbers ? canonicalNumber(numbers[numbers.length - 1] ?? '') : null;
}

/** First number in the string, `$`/`,`/LaTeX removed, simple fractions evaluated, in canonical form. */
function canonicalNumber(raw: string): string | null {
  const boxed = lastBoxed(raw);
  const cleaned = (boxed ?? raw)
    .replace(/\\(?:d|t)?frac\{(-?[\d.]+)\}\{(-?[\d.]+)\}/g, '$1/$2')
    .replace(/\\!|\\,|\\ |\$|\\%|%/g, '')
    .replace(/(\d),(?=\d)/g, '$1')
    .replace(/\\text\{[^}]*\}/g, ' ');
  const match = /(-?\d+(?:\.\d+)?)(?:\s*\/\s*(-?\d+(?:\.\d+)?))?/.exec(cleaned) ?? /-?\.\d+/.exec(cleaned);
  if (!match) return null;
  let value = Number(match[1] ?? match[0]);
  if (match[2] !== undefined) {
    const denominator = Number(match[2]);
    if (denominator !== 0) value /= denominator;
  }
  if (!Number.isFinite(value)) return null;
  return String(Number(value.toPrecision(12)));
}

function extractChoiceAnswer(text: string): string | null {
  const stripped = text.replace(/\*\*/g, '');
  const patterns = [
    /answer is:?\s*\(?\s*([A-J])\b\)?/gi,
    /answer:\s*\(?([A-J])\b\)?/gi,
    /\b(?:option|choice)\s*\(?([A-J])\)?\s*(?:is correct|is the (?:correct|best) answer)/gi,
  ];
  for (const pattern of patterns) {
    // The first statement wins, as in the MMLU-Pro scripts: some replies go on to answer the few-shot
    // exemplars again after their own answer.
    const letter = firstMatch(pattern, stripped);
    if (letter !== null) return letter.toUpperCase();
  }
  // Short-answer replies start with the letter ("B", "B)", "(B) ...", "B. ..."); a word such as the
  // pronoun in "I do" is not an option letter.
  const leading = /^\s*\(?([A-J])(?:[).:,]|\s*$|\s*\n)/.exec(stripped);
  if (leading?.[1] !== undefined) return leading[1];
  // Last resort of the MMLU-Pro scripts: the last standalone capital A–J in a chain of thought.
  // Not a capital that starts a word or sentence ("I do", "A dog", "I'm").
  return lastMatch(/(?<![a-z,]\s)\b([A-J])\b(?!\s+[a-z]|['’])/g, stripped);
}

function extractLiteralAnswer(text: string): string | null {
  const field = jsonAnswerField(text);
  if (field !== null) return normalizeLiteral(field);
  if (isTruncatedJsonReply(text)) return null;
  const stated = lastMatch(/answer is:?\s*([^\n]+)/gi, text);
  if (stated !== null) return normalizeLiteral(stated.replace(/\.$/, ''));
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !/^\s*[`{}]+\s*$/.test(line));
  const last = lines[lines.length - 1];
  return last === undefined ? null : normalizeLiteral(last);
}

function normalizeLiteral(answer: string): string | null {
  let value = answer.trim();
  // CRUX-style output predictions compare equal with or without outer quotes.
  while (value.length >= 2 && /^(["'`]).*\1$/s.test(value)) value = value.slice(1, -1);
  return value === '' ? null : value;
}

function extractCodeAnswer(text: string): string | null {
  // An unclosed fence (output cut off) still delimits the code.
  const fenced = /```[a-zA-Z0-9_+-]*\r?\n([\s\S]*?)(?:```|$)/.exec(text);
  return normalizeCode(fenced?.[1] ?? text);
}

function normalizeCode(code: string): string | null {
  const value = code
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n')
    .trim();
  return value === '' ? null : value;
}

function extractLatexAnswer(text: string): string | null {
  const answer = jsonAnswerField(text) ?? lastBoxed(text) ?? lastMatch(/answer is:?\s*([^\n]+)/gi, text);
  return answer === null ? null : normalizeLatex(answer);
}

function normalizeLatex(answer: string): string | null {
  const value = answer.replace(/\$|\\!|\\,|\s+/g, '').replace(/\.$/, '');
  return value === '' ? null : value;
}

function firstMatch(pattern: RegExp, text: string): string | null {
  for (const match of text.matchAll(pattern)) return match[1] ?? null;
  return null;
}

function lastMatch(pattern: RegExp, text: string): string | null {
  let result: string | null = null;
  for (const match of text.matchAll(pattern)) result = match[1] ?? null;
  return result;
}

function assertNever(value: never): never {
  throw new Error(`unexpected answer type: ${String(value)}`);
}
