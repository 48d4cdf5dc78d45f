#!/usr/bin/env node
/**
 * `switchyard`: the command line. Each command lives in src/commands/<name>.ts and registers itself
 * on the program; this file only wires them together.
 */
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

const program = new Command('switchyard')
  .description('Switchyard: route each LLM query to the cheapest model that answers it well')
  .showHelpAfterError()
  .exitOverride((error) => {
    process.exit(error.exitCode);
  });

registerCommands(program);

await program.parseAsync(process.argv);
