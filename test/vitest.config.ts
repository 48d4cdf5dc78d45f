import { defineProject } from 'vitest/config';
import { sourceResolve } from '../vitest.shared.js';

export default defineProject({
  ...sourceResolve,
  test: {
    name: 'e2e',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
