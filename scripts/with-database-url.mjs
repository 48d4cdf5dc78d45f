#!/usr/bin/env node
// Runs a command with DATABASE_URL set. The Prisma CLI falls back to its library engine, and tries to
// download it from a host these machines cannot reach, whenever it cannot read the schema's
// env("DATABASE_URL"). Commands that never connect (generate, migrate diff) get a parseable
// placeholder when the caller has not set one.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const binDirectory = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin');

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: with-database-url.mjs <command> [args...]');
  process.exit(2);
}
const env = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/switchyard',
  PATH: `${binDirectory}${path.delimiter}${process.env.PATH ?? ''}`,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const result = spawnSync(command, args, { stdio: 'inherit', env, shell: false });
if (result.error) {
  console.error(`could not run ${command}: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
