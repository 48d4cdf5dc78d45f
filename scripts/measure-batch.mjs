#!/usr/bin/env node
import { once } from 'node:events';
/**
 * Measures a batch against a running API (e.g. `pnpm start`): writes an input file of --lines
 * requests of about --line-bytes each, uploads it (streamed from disk), creates a batch, and samples
 * the API process's memory (/proc/<pid>/status: VmHWM = peak RSS, VmRSS) throughout. With --wait it
 * waits for the batch to end and streams the results back, counting lines; otherwise it cancels the
 * batch after --run-seconds. Prints one JSON line of numbers.
 *
 *   node scripts/measure-batch.mjs --api http://127.0.0.1:3000 --key sy_... --api-pid <pid> \
 *     --lines 100000 --line-bytes 2000 [--wait] [--run-seconds 20]
 */
import { createWriteStream, openAsBlob } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    api: { type: 'string', default: 'http://127.0.0.1:3000' },
    key: { type: 'string' },
    'api-pid': { type: 'string' },
    lines: { type: 'string', default: '100000' },
    'line-bytes': { type: 'string', default: '2000' },
    wait: { type: 'boolean', default: false },
    'run-seconds': { type: 'string', default: '20' },
    file: { type: 'string' },
  },
});
if (!values.key || !values['api-pid']) {
  console.error('usage: measure-batch.mjs --api URL --key sy_... --api-pid PID [--lines N] [--line-bytes B] [--wait]');
  process.exit(2);
}
const lines = Number(values.lines);
const lineBytes = Number(values['line-bytes']);
const headers = { authorization: `Bearer ${values.key}` };

async function memory() {
  const status = await readFile(`/proc/${values['api-pid']}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

const file = values.file ?? path.join(tmpdir(), `switchyard-batch-${lines}.jsonl`);
const writer = createWriteStream(file);
for (let index = 0; index < lines; index++) {
  const base = { custom_id: `req-${index}`, method: 'POST', url: '/v1/chat/completions' };
  const question = `What is ${index % 997} + ${(index * 7) % 991}?`;
  const body = {
    model: 'switchyard',
    messages: [{ role: 'user', content: question }],
    metadata: { answerType: 'number' },
  };
  let text = JSON.stringify({ ...base, body });
  const padding = lineBytes - text.length - 20;
  if (padding > 0) body.messages.unshift({ role: 'system', content: `Context: ${'x'.repeat(padding)}` });
  text = JSON.stringify({ ...base, body });
  if (!writer.write(`${text}\n`)) await once(writer, 'drain');
}
writer.end();
await once(writer, 'finish');
const size = (await stat(file)).size;

const before = await memory();
let peak = before;
const sampler = setInterval(async () => {
  const now = await memory().catch(() => peak);
  if (now.rssMb > peak.rssMb) peak = { ...peak, rssMb: now.rssMb };
  peak = { ...peak, hwmMb: Math.max(peak.hwmMb, now.hwmMb) };
}, 100);

const started = Date.now();
const form = new FormData();
form.append('purpose', 'batch');
form.append('file', await openAsBlob(file), path.basename(file));
const uploaded = await (await fetch(`${values.api}/v1/files`, { method: 'POST', headers, body: form })).json();
if (!uploaded.id) throw new Error(`upload failed: ${JSON.stringify(uploaded)}`);
const uploadSeconds = (Date.now() - started) / 1000;
const afterUpload = await memory();
const batch = await (
  await fetch(`${values.api}/v1/batches`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ input_file_id: uploaded.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
  })
).json();

const getBatch = async () => (await fetch(`${values.api}/v1/batches/${batch.id}`, { headers })).json();
let final;
if (values.wait) {
  for (;;) {
    final = await getBatch();
    if (['completed', 'failed', 'cancelled', 'expired'].includes(final.status)) break;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
} else {
  await new Promise((resolve) => setTimeout(resolve, Number(values['run-seconds']) * 1000));
  await fetch(`${values.api}/v1/batches/${batch.id}/cancel`, { method: 'POST', headers });
  final = await getBatch();
}
let resultLines = 0;
let resultBytes = 0;
if (values.wait && final.output_file_id) {
  const response = await fetch(`${values.api}/v1/files/${final.output_file_id}/content`, { headers });
  for await (const chunk of response.body) {
    resultBytes += chunk.length;
    for (const byte of chunk) if (byte === 10) resultLines += 1;
  }
}
clearInterval(sampler);
const end = await memory();
console.log(
  JSON.stringify({
    lines,
    fileBytes: size,
    uploadSeconds,
    apiRssMbBefore: before.rssMb,
    apiRssMbAfterUpload: afterUpload.rssMb,
    apiPeakRssMb: Math.max(peak.hwmMb, end.hwmMb),
    batch: batch.id,
    status: final.status,
    requestCounts: final.request_counts,
    expandedLines: final.switchyard?.expanded_lines,
    costUsd: final.switchyard?.cost_usd,
    batchSeconds: (Date.now() - started) / 1000,
    resultLines,
    resultBytes,
  }),
);
