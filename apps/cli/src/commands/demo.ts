import { extractAnswer } from '@switchyard/core';
import { type BenchRecord, loadDataset } from '@switchyard/datasets';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { readCliEnv } from '../env.js';
import { prepareServicesOrReport } from '../services/prepare-services.js';
import { launchStack } from '../stack/launch-processes.js';
import { openStackSession } from '../stack/session.js';

interface DemoQuery {
  prompt: string;
  metadata: Record<string, unknown>;
  /** Whether a model's response text is right, when we can tell. */
  judge: (model: string, text: string) => boolean | null;
  /** Recorded cost of the most expensive model (replay only), for comparison. */
  topModelCostUsd?: number;
  topModelCorrect?: boolean;
}

interface FinishedQuery {
  id: string;
  status: string;
  answer?: string;
  model?: string;
  costUsd: string;
  attempts: unknown[];
  error?: { code: string; message: string };
}

/** The simulated batch: arithmetic the simulator answers right or wrong in a checkable way. */
function simQueries(count: number): DemoQuery[] {
  return Array.from({ length: count }, (_, index) => {
    const a = 11 + ((index * 37) % 89);
    const b = 3 + ((index * 53) % 71);
    return {
      prompt: `What is ${a} + ${b}?`,
      metadata: { answerType: 'number', demo: true },
      judge: (_model: string, text: string) => extractAnswer(text, 'number') === String(a + b),
    };
  });
}

/** A spread of recorded prompts from the replay dataset. */
function replayQueries(records: BenchRecord[], topModel: string, count: number): DemoQuery[] {
  const step = Math.max(1, Math.floor(records.length / count));
  return records
    .filter((_, index) => index % step === 0)
    .slice(0, count)
    .map((record) => ({
      prompt: record.prompt,
      // Only the record id (the replay provider's key): the router must not be handed the dataset's
      // category or answer type, which it infers from the prompt as in `switchyard eval`.
      metadata: { recordId: record.id },
      judge: (model: string) => record.responses[model]?.correct ?? null,
      topModelCostUsd: record.responses[topModel]?.costUsd ?? 0,
      topModelCorrect: record.responses[topModel]?.correct ?? false,
    }));
}

async function submit(apiUrl: string, apiKey: string, query: DemoQuery): Promise<string> {
  const response = await fetch(`${apiUrl}/v1/queries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ prompt: query.prompt, metadata: query.metadata }),
  });
  const body = (await response.json()) as { id?: string; error?: { message: string } };
  if (response.status !== 202 || !body.id)
    throw new Error(`submit failed: HTTP ${response.status} ${body.error?.message}`);
  return body.id;
}

/** `switchyard demo`: starts everything, submits a small batch, shows progress and a cost/accuracy summary. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start API + workers, submit a small batch (sim, or SWITCHYARD_REPLAY), print cost and accuracy')
    .option('-n, --count <n>', 'queries to submit', '20')
    .action(async (options: { count: string }) => {
      const count = Number.parseInt(options.count, 10);
      if (!Number.isInteger(count) || count < 1 || count > 10_000) {
        console.error(`error: --count must be an integer from 1 to 10000, got ${options.count}`);
        process.exitCode = 2;
        return;
      }
      const env = readCliEnv();
      if (!(await prepareServicesOrReport({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }))) return;
      const replay = process.env.SWITCHYARD_REPLAY;
      let queries: DemoQuery[];
      let topModel: string | null = null;
      if (replay) {
        const dataset = await loadDataset(replay);
        topModel = dataset.models.at(-1)?.id ?? null;
        queries = replayQueries(dataset.records, topModel ?? '', count);
        console.log(`demo on the replay provider: ${queries.length} recorded prompts of ${dataset.file}`);
      } else {
        queries = simQueries(count);
        console.log(
          `demo on the SIMULATED provider (sim): ${queries.length} arithmetic prompts; answers are simulated`,
        );
      }

      const session = await openStackSession(env.DATABASE_URL, 'pnpm demo');
      let stack: Awaited<ReturnType<typeof launchStack>>;
      try {
        stack = await launchStack(session.env, { echo: false });
      } catch (error) {
        await session.close();
        console.error(`error: ${(error as Error).message.split('\n').slice(0, 12).join('\n')}`);
        process.exitCode = 1;
        return;
      }
      const auth = { authorization: `Bearer ${session.apiKey}` };
      try {
        console.log(
          `dashboard while the demo runs: ${stack.apiUrl}/admin/queues (${session.generatedAdminToken ? `any user name, password ${session.generatedAdminToken}` : 'operator token: SWITCHYARD_ADMIN_TOKEN'})`,
        );
        const ids = await Promise.all(queries.map((query) => submit(stack.apiUrl, session.apiKey, query)));
        const bar = new SingleBar({ format: 'queries {bar} {value}/{total} done  {duration}s', hideCursor: true });
        bar.start(ids.length, 0);
        const finished = new Map<string, FinishedQuery>();
        const deadline = Date.now() + 10 * 60_000;
        while (finished.size < ids.length && Date.now() < deadline) {
          for (const id of ids) {
            if (finished.has(id)) continue;
            const body = (await (
              await fetch(`${stack.apiUrl}/v1/queries/${id}`, { headers: auth })
            ).json()) as FinishedQuery;
            if (body.status === 'completed' || body.status === 'failed') finished.set(id, body);
          }
          bar.update(finished.size);
          if (finished.size < ids.length) await new Promise((resolve) => setTimeout(resolve, 250));
        }
        bar.stop();
        printSummary(queries, ids, finished, topModel);
        if (finished.size < ids.length) process.exitCode = 1;
      } finally {
        await stack.stop();
        await session.close();
      }
    });
}

function printSummary(
  queries: DemoQuery[],
  ids: string[],
  finished: Map<string, FinishedQuery>,
  topModel: string | null,
): void {
  let correct = 0;
  let judged = 0;
  let totalCost = 0;
  let topCost = 0;
  let topCorrect = 0;
  console.log(
    `\n${'query'.padEnd(10)}${'status'.padEnd(11)}${'answered by'.padEnd(26)}${'calls'.padStart(6)}${'cost USD'.padStart(14)}  correct`,
  );
  ids.forEach((id, index) => {
    const query = queries[index] as DemoQuery;
    const result = finished.get(id);
    const verdict = result?.model && result.answer !== undefined ? query.judge(result.model, result.answer) : null;
    if (verdict !== null) {
      judged += 1;
      if (verdict) correct += 1;
    }
    totalCost += Number(result?.costUsd ?? 0);
    topCost += query.topModelCostUsd ?? 0;
    if (query.topModelCorrect) topCorrect += 1;
    console.log(
      `${id.slice(0, 8).padEnd(10)}${(result?.status ?? 'timeout').padEnd(11)}${(result?.model ?? result?.error?.code ?? '-').padEnd(26)}${String(result?.attempts.length ?? 0).padStart(6)}${Number(
        result?.costUsd ?? 0,
      )
        .toFixed(6)
        .padStart(14)}  ${verdict === null ? '-' : verdict ? 'yes' : 'no'}`,
    );
  });
  const n = ids.length;
  // Every system is divided by the same n: a query without a judged answer (failed, timed out) is wrong.
  console.log(
    `\ntotal: ${n} queries, accuracy ${((100 * correct) / n).toFixed(1)}% (${correct}/${n}; ${judged} judged), cost $${totalCost.toFixed(6)}, mean $${(totalCost / n).toFixed(6)} per query`,
  );
  if (topModel) {
    console.log(
      `always ${topModel} (recorded): accuracy ${((100 * topCorrect) / n).toFixed(1)}%, cost $${topCost.toFixed(6)}, mean $${(topCost / n).toFixed(6)} per query`,
    );
  }
}
