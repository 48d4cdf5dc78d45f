import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { type ApiClient, ApiClientError, type BatchObject, createApiClient } from '../batches/api-client.js';
import { formatProgress } from '../batches/progress.js';
import { readCliEnv } from '../env.js';

const toStderr = (line: string) => process.stderr.write(`${line}\n`);
const FINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);

interface ClientOptions {
  apiUrl?: string;
  apiKey?: string;
}

function clientOf(options: ClientOptions): ApiClient {
  const env = readCliEnv();
  const apiKey = options.apiKey ?? env.SWITCHYARD_API_KEY;
  if (!apiKey) {
    throw new ApiClientError(
      0,
      'missing_api_key',
      'give an API key: --api-key sy_... or SWITCHYARD_API_KEY (`pnpm start` prints one)',
    );
  }
  return createApiClient({ apiUrl: options.apiUrl ?? env.SWITCHYARD_API_URL, apiKey });
}

/** Runs a client command; API and usage errors print one line and exit 2 (1 for a batch that did not complete). */
async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof ApiClientError)) throw error;
    toStderr(`error: ${error.message}`);
    process.exitCode = 2;
  }
}

function withClientOptions(command: Command): Command {
  return command
    .option('--api-url <url>', 'the API (default SWITCHYARD_API_URL or http://127.0.0.1:3000)')
    .option('--api-key <key>', 'API key (default SWITCHYARD_API_KEY)');
}

function parseMetadata(pairs: string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0)
      throw new ApiClientError(0, 'invalid_metadata', `--metadata takes key=value, got ${JSON.stringify(pair)}`);
    metadata[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return metadata;
}

/** Polls the batch until it ends, redrawing a progress line on stderr (one line every 5 s when not a terminal). */
async function waitWithProgress(client: ApiClient, id: string, intervalMs = 1_000): Promise<BatchObject> {
  const started = Date.now();
  const terminal = process.stderr.isTTY === true;
  let lastPrinted = 0;
  for (;;) {
    const batch = await client.getBatch(id);
    const line = formatProgress({
      status: batch.status,
      total: batch.request_counts.total,
      completed: batch.request_counts.completed,
      failed: batch.request_counts.failed,
      costUsd: batch.switchyard?.cost_usd ?? '0',
      elapsedMs: Date.now() - started,
    });
    const ended = FINAL.has(batch.status);
    if (terminal) process.stderr.write(`\r\u001b[2K${line}${ended ? '\n' : ''}`);
    else if (ended || Date.now() - lastPrinted >= 5_000) {
      toStderr(line);
      lastPrinted = Date.now();
    }
    if (ended) return batch;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function saveResults(client: ApiClient, batch: BatchObject, out: string, errorsOut: string): Promise<void> {
  if (batch.output_file_id) {
    await client.downloadFile(batch.output_file_id, out);
    toStderr(`results: ${out}`);
  } else toStderr('no results (no request completed)');
  if (batch.error_file_id) {
    await client.downloadFile(batch.error_file_id, errorsOut);
    toStderr(`errors: ${errorsOut} (bad lines with their line numbers, failed and cancelled requests)`);
  }
}

function describeBatch(batch: BatchObject): string {
  const counts = batch.request_counts;
  return [
    `${batch.id}  ${batch.status}`,
    `  requests: ${counts.completed} completed, ${counts.failed} failed, ${counts.total} total`,
    ...(batch.switchyard
      ? [
          `  cost so far: $${batch.switchyard.cost_usd}; escalated answers: ${batch.switchyard.escalation_rate === null ? '-' : `${(batch.switchyard.escalation_rate * 100).toFixed(1)} %`}`,
        ]
      : []),
    `  created: ${new Date(batch.created_at * 1000).toISOString()}`,
    `  input: ${batch.input_file_id}; output: ${batch.output_file_id ?? '-'}; errors: ${batch.error_file_id ?? '-'}`,
    ...(batch.errors?.data.length
      ? batch.errors.data.map(
          (error) => `  ${error.line === null ? '' : `line ${error.line}: `}${error.code}: ${error.message}`,
        )
      : []),
  ].join('\n');
}

export function registerBatchCommands(program: Command): void {
  withClientOptions(
    program
      .command('submit <file>')
      .description('upload a JSONL file of /v1/chat/completions requests and start a batch; prints the batch id')
      .option('--wait', 'wait for the batch to end, with a progress bar')
      .option('--out <file>', 'with --wait: write the results here (default results.jsonl)')
      .option('--errors <file>', 'with --wait: write the error file here (default <out>.errors.jsonl)')
      .option('--metadata <key=value...>', 'batch metadata (e.g. callback_url=https://...)', []),
  ).action(
    (file: string, options: ClientOptions & { wait?: boolean; out?: string; errors?: string; metadata: string[] }) =>
      run(async () => {
        if (!options.wait && (options.out !== undefined || options.errors !== undefined)) {
          throw new ApiClientError(
            0,
            'invalid_option',
            '--out and --errors go with --wait (without it, download later with `pnpm switchyard batches results <id>`)',
          );
        }
        const client = clientOf(options);
        const info = await stat(file).catch(() => null);
        if (info === null || !info.isFile())
          throw new ApiClientError(0, 'no_such_file', `${file} is not a readable file`);
        const metadata = parseMetadata(options.metadata);
        toStderr(`uploading ${file} (${info.size} bytes)…`);
        const uploaded = await client.uploadFile(file);
        let batch: Awaited<ReturnType<typeof client.createBatch>>;
        try {
          batch = await client.createBatch(uploaded.id, metadata);
        } catch (error) {
          // A refused batch (e.g. its callback_url) leaves no uploaded file behind to pile up on retries.
          await client.deleteFile(uploaded.id).catch(() => {});
          throw error;
        }
        console.log(batch.id);
        if (!options.wait) {
          toStderr(`batch ${batch.id} created; follow it with \`pnpm switchyard batches status ${batch.id}\``);
          return;
        }
        const ended = await waitWithProgress(client, batch.id);
        const out = options.out ?? 'results.jsonl';
        await saveResults(client, ended, out, options.errors ?? `${out.replace(/\.jsonl$/, '')}.errors.jsonl`);
        if (ended.status !== 'completed') {
          toStderr(describeBatch(ended));
          process.exitCode = 1;
        }
      }),
  );

  const batches = program.command('batches').description('list, follow, download and cancel batches');
  withClientOptions(
    batches
      .command('list')
      .description('your batches, newest first')
      .option('--limit <n>', 'how many', '20')
      .option('--json', 'JSON lines'),
  ).action((options: ClientOptions & { limit: string; json?: boolean }) =>
    run(async () => {
      const page = await clientOf(options).listBatches(Number(options.limit));
      for (const batch of page.data) {
        if (options.json) console.log(JSON.stringify(batch));
        else {
          const counts = batch.request_counts;
          console.log(
            `${batch.id}  ${batch.status.padEnd(11)}  ${counts.completed + counts.failed}/${counts.total} done, ${counts.failed} failed  ${new Date(batch.created_at * 1000).toISOString()}`,
          );
        }
      }
      if (page.has_more) toStderr('(more: use --limit)');
    }),
  );
  withClientOptions(
    batches
      .command('status <id>')
      .description('one batch: status, counts, cost so far, files')
      .option('--wait', 'follow it with a progress bar until it ends')
      .option('--json', 'the batch object as JSON'),
  ).action((id: string, options: ClientOptions & { wait?: boolean; json?: boolean }) =>
    run(async () => {
      const client = clientOf(options);
      const batch = options.wait ? await waitWithProgress(client, id) : await client.getBatch(id);
      console.log(options.json ? JSON.stringify(batch, null, 2) : describeBatch(batch));
    }),
  );
  withClientOptions(
    batches
      .command('results <id>')
      .description('download the results of an ended batch (stdout unless --out)')
      .option('--out <file>', 'write here instead of stdout')
      .option('--errors', 'the error file instead of the results'),
  ).action((id: string, options: ClientOptions & { out?: string; errors?: boolean }) =>
    run(async () => {
      const client = clientOf(options);
      const batch = await client.getBatch(id);
      const fileId = options.errors ? batch.error_file_id : batch.output_file_id;
      if (!fileId) {
        throw new ApiClientError(
          0,
          'no_file',
          FINAL.has(batch.status)
            ? `batch ${id} has no ${options.errors ? 'error' : 'output'} file`
            : `batch ${id} is ${batch.status}; its files exist once it has ended`,
        );
      }
      await client.downloadFile(fileId, options.out ?? process.stdout);
    }),
  );
  withClientOptions(
    batches.command('cancel <id>').description('stop queued requests; running ones finish and are billed'),
  ).action((id: string, options: ClientOptions) =>
    run(async () => {
      const batch = await clientOf(options).cancelBatch(id);
      console.log(`${batch.id}  ${batch.status}`);
    }),
  );
}
