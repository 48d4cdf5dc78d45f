import type { Command } from 'commander';
import { registerSetupCommand } from './setup.js';

/** Every command of the CLI, one registration per file. */
export function registerCommands(program: Command): void {
  registerSetupCommand(program);
}
