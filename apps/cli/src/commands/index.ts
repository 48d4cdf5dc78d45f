import type { Command } from 'commander';
import { registerBatchCommands } from './batches.js';
import { registerBenchCommand } from './bench.js';
import { registerDemoCommand } from './demo.js';
import { registerEvalCommands } from './eval.js';
import { registerFaultsCommand } from './faults.js';
import { registerKeysCommands } from './keys.js';
import { registerRecordCommand } from './record.js';
import { registerRouterCommands } from './router.js';
import { registerSetupCommand } from './setup.js';
import { registerStartCommand } from './start.js';

/** Every command of the CLI, one registration per file. */
export function registerCommands(program: Command): void {
  registerSetupCommand(program);
  registerStartCommand(program);
  registerDemoCommand(program);
  registerEvalCommands(program);
  registerRecordCommand(program);
  registerRouterCommands(program);
  registerKeysCommands(program);
  registerBenchCommand(program);
  registerFaultsCommand(program);
  registerBatchCommands(program);
}
