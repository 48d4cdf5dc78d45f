/**
 * Test directives embedded in a prompt, e.g. `[[sim:error=429,times=1]]` or
 * `[[sim:answer=wrong,model=sim-small]]`. They let tests and demos make the simulator fail, stall
 * or answer wrongly on purpose, deterministically.
 */
export interface SimDirective {
  /** An HTTP status to fail with, `network` (connection reset) or `timeout` (never answers). */
  error?: number | 'network' | 'timeout';
  /** Fail only the first `times` calls (per model and prompt, in this process); default always. */
  times?: number;
  /** Sent with 429/503 errors as `retryAfterMs`. */
  retryAfterMs?: number;
  /** Extra latency of this call. */
  latencyMs?: number;
  /** Force the answer right or wrong regardless of skill. */
  answer?: 'right' | 'wrong';
  /** Apply only to this model id (the sim model's id). */
  model?: string;
}

const directivePattern = /\[\[sim:([^\]]*)\]\]/g;

function parseDirective(body: string): SimDirective {
  const directive: SimDirective = {};
  for (const part of body.split(',')) {
    const [rawName, rawValue = ''] = part.split('=', 2);
    const name = rawName?.trim();
    const value = rawValue.trim();
    if (name === 'error') {
      directive.error = value === 'network' || value === 'timeout' ? value : Number.parseInt(value, 10);
    } else if (name === 'times') directive.times = Number.parseInt(value, 10);
    else if (name === 'retryAfterMs') directive.retryAfterMs = Number.parseInt(value, 10);
    else if (name === 'latency' || name === 'latencyMs') directive.latencyMs = Number.parseInt(value, 10);
    else if (name === 'answer' && (value === 'right' || value === 'wrong')) directive.answer = value;
    else if (name === 'model') directive.model = value;
    else throw new RangeError(`unknown sim directive ${JSON.stringify(part)}`);
  }
  return directive;
}

/** The directives that apply to `modelId`, and the prompt with every directive removed. */
export function extractDirectives(prompt: string, modelId: string): { directives: SimDirective[]; prompt: string } {
  const directives: SimDirective[] = [];
  for (const match of prompt.matchAll(directivePattern)) {
    const directive = parseDirective(match[1] ?? '');
    if (directive.model === undefined || directive.model === modelId) directives.push(directive);
  }
  return { directives, prompt: prompt.replace(directivePattern, '').trim() };
}

/** In-process memory of how often a `times`-limited failure has fired. */
export class SimState {
  private readonly failures = new Map<string, number>();

  /** Counts one failure for `key` and says whether the directive still wants it to fail. */
  shouldFail(key: string, times: number | undefined): boolean {
    const count = this.failures.get(key) ?? 0;
    if (times !== undefined && count >= times) return false;
    this.failures.set(key, count + 1);
    return true;
  }

  reset(): void {
    this.failures.clear();
  }
}
