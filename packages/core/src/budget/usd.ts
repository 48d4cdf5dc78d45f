import { CoreError } from '../errors.js';

/**
 * Money arithmetic without binary floats: amounts are decimal strings at the edges and bigint
 * pico-dollars (1e-12 USD) inside, fine enough for per-token prices of a fraction of a micro-dollar.
 */
export const PICO_USD_PER_USD = 1_000_000_000_000n;
const FRACTION_DIGITS = 12;

/** Parses a USD amount (decimal string such as "0.000123", or a finite number) into pico-dollars. */
export function parseUsd(value: string | number): bigint {
  let text = typeof value === 'number' ? numberToDecimal(value) : value.trim();
  if (/e/i.test(text)) {
    const asNumber = Number(text);
    if (!Number.isFinite(asNumber)) throw new CoreError(`not a USD amount: ${JSON.stringify(value)}`);
    text = numberToDecimal(asNumber);
  }
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new CoreError(`not a USD amount: ${JSON.stringify(value)}`);
  }
  const sign = match[1] === '-' ? -1n : 1n;
  const whole = BigInt(match[2] || '0');
  const fraction = match[3] ?? '';
  let picos = BigInt(fraction.slice(0, FRACTION_DIGITS).padEnd(FRACTION_DIGITS, '0'));
  // Round half up on the first dropped digit so "0.0000000000005" is not silently zero.
  if ((fraction[FRACTION_DIGITS] ?? '0') >= '5') picos += 1n;
  return sign * (whole * PICO_USD_PER_USD + picos);
}

/** Formats pico-dollars as a plain decimal string without trailing zeros ("0.000123", "0"). */
export function formatUsd(picoUsd: bigint): string {
  const negative = picoUsd < 0n;
  const absolute = negative ? -picoUsd : picoUsd;
  const whole = absolute / PICO_USD_PER_USD;
  const fraction = (absolute % PICO_USD_PER_USD).toString().padStart(FRACTION_DIGITS, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Sums USD amounts exactly and returns a decimal string. */
export function sumUsd(values: Iterable<string | number>): string {
  let total = 0n;
  for (const value of values) total += parseUsd(value);
  return formatUsd(total);
}

/** A recorded float cost as the decimal string the ledger stores (12 decimals, then trimmed). */
export function usdFromNumber(value: number): string {
  return formatUsd(parseUsd(value));
}

/**
 * A budget as the ledger stores it: 12 decimals, rounded DOWN, so storing never raises a cap (the
 * database would round 1.5e-12 up to 2e-12). Callers bound the amount first: from 1e21 on, toFixed
 * writes an exponent.
 */
export function storedBudgetUsd(usd: number): string {
  return usd.toFixed(FRACTION_DIGITS + 1).slice(0, -1);
}

function numberToDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new CoreError(`not a USD amount: ${value}`);
  return value.toFixed(FRACTION_DIGITS + 1);
}
