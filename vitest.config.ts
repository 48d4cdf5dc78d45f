import { defineConfig } from 'vitest/config';
import { sourceResolve } from './vitest.shared.js';

// One `vitest run` at the root runs every package's unit tests (*.test.ts) and integration tests
// (*.int.test.ts, real Postgres and Redis), and the end-to-end tests in test/.
export default defineConfig({
  ...sourceResolve,
  test: {
    projects: ['packages/*', 'apps/*', 'test'],
    globalSetup: ['./test/support/global-setup.ts'],
    // A package without tests fails the run: every package tests its own behaviour.
    passWithNoTests: false,
  },
});
