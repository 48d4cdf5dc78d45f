import { formatDecimal, parseDecimal } from './decimal.js';

/** List price of one model: USD per 1M tokens as exact decimal strings, with where it came from. */
export interface ModelPricing {
  inputUsdPerMTok: string;
  outputUsdPerMTok: string;
  /** Where the price was read (a URL or a description); null when the config gave none. */
  source: string | null;
  /** When the price was read (ISO date), null when unknown. */
  date: string | null;
}

/** Builds a `ModelPricing` from config values; numbers are read as the decimal they were written as. */
export function createModelPricing(input: {
  inputUsdPerMTok: string | number;
  outputUsdPerMTok: string | number;
  source?: string | null;
  date?: string | null;
}): ModelPricing {
  return {
    inputUsdPerMTok: formatDecimal(parseDecimal(input.inputUsdPerMTok)),
    outputUsdPerMTok: formatDecimal(parseDecimal(input.outputUsdPerMTok)),
    source: input.source ?? null,
    date: input.date ?? null,
  };
}
