/** Deterministic content of simulated answers. */

/** A number in [0, 1) read from 52 bits of a hex hash, starting at hex `offset`. */
export function unitFromHash(hex: string, offset = 0): number {
  return Number.parseInt(hex.slice(offset, offset + 13), 16) / 2 ** 52;
}

const operators: Record<string, (a: bigint, b: bigint) => bigint | null> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => (b !== 0n && a % b === 0n ? a / b : null),
};

const operatorWords: Record<string, string> = {
  plus: '+',
  minus: '-',
  times: '*',
  'multiplied by': '*',
  'divided by': '/',
  '×': '*',
  x: '*',
  '÷': '/',
};

const arithmeticPattern = /(-?\d+)\s*(\+|-|\*|×|x|\/|÷|plus|minus|times|multiplied by|divided by)\s*(-?\d+)/i;

/** An integer arithmetic question found in a prompt ("What is 17 + 25?"), with its exact answer. */
export interface ArithmeticQuestion {
  expression: string;
  answer: bigint;
}

/** Finds the first `a op b` with integers (division only when exact); null when there is none. */
export function parseArithmetic(prompt: string): ArithmeticQuestion | null {
  const match = arithmeticPattern.exec(prompt);
  if (!match) return null;
  const [, left, rawOperator, right] = match;
  if (left === undefined || rawOperator === undefined || right === undefined) return null;
  const lower = rawOperator.toLowerCase();
  const operator = operatorWords[lower] ?? lower;
  const answer = operators[operator]?.(BigInt(left), BigInt(right));
  if (answer === undefined || answer === null) return null;
  return { expression: `${left} ${operator} ${right}`, answer };
}

/** A wrong answer 1..10 away from the right one: `distanceUnit` picks how far, `signUnit` which side. */
export function wrongAnswer(answer: bigint, distanceUnit: number, signUnit: number): bigint {
  const distance = BigInt(1 + Math.floor(distanceUnit * 10));
  return signUnit < 0.5 ? answer + distance : answer - distance;
}
