/**
 * Exact decimal arithmetic on BigInt: a value is `units / 10^scale`. Sums and products of decimals
 * stay exact at any precision, so money never passes through a binary float.
 */
export interface Decimal {
  readonly units: bigint;
  /** Number of digits after the point; never negative. */
  readonly scale: number;
}

const decimalPattern = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a decimal string (`"0.075"`, `"1.5e-7"`) or a finite number. A number is read through its
 * shortest round-trip form (`String(0.1)` is `"0.1"`), i.e. the value a person wrote in JSON.
 */
export function parseDecimal(value: string | number | bigint): Decimal {
  if (typeof value === 'bigint') return { units: value, scale: 0 };
  if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const text = String(value).trim();
  const match = decimalPattern.exec(text);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || whole + fraction === '') throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
  const exponent = match[4] === undefined ? 0 : Number.parseInt(match[4], 10);
  let units = BigInt(whole + fraction);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return normalizeDecimal({ units: match[1] === '-' ? -units : units, scale });
}

/** Removes trailing zeros after the point (`1.2300` → `1.23`). */
export function normalizeDecimal(value: Decimal): Decimal {
  let { units, scale } = value;
  if (units === 0n) return { units: 0n, scale: 0 };
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

function rescale(value: Decimal, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

export function addDecimals(...values: Decimal[]): Decimal {
  const scale = Math.max(0, ...values.map((value) => value.scale));
  let units = 0n;
  for (const value of values) units += rescale(value, scale);
  return normalizeDecimal({ units, scale });
}

export function multiplyDecimals(left: Decimal, right: Decimal): Decimal {
  return normalizeDecimal({ units: left.units * right.units, scale: left.scale + right.scale });
}

/** Exact division by 10^power (e.g. per-million prices: power 6). */
export function shiftDecimal(value: Decimal, power: number): Decimal {
  return normalizeDecimal({ units: value.units, scale: value.scale + power });
}

/** -1, 0 or 1. */
export function compareDecimals(left: Decimal, right: Decimal): -1 | 0 | 1 {
  const scale = Math.max(left.scale, right.scale);
  const a = rescale(left, scale);
  const b = rescale(right, scale);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Plain decimal notation without exponent or trailing zeros: `0.00004626`, `12`, `-0.5`. */
export function formatDecimal(value: Decimal): string {
  const { units, scale } = normalizeDecimal(value);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Sums decimal strings exactly: `sumDecimalStrings(['0.1', '0.2'])` is `"0.3"`. */
export function sumDecimalStrings(values: readonly string[]): string {
  return formatDecimal(addDecimals(...values.map((value) => parseDecimal(value))));
}
