import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from './support/stack.js';

function testFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

// vitest's passWithNoTests is per run, not per project: a package whose tests all vanished would
// still pass. Every package must test its own behaviour.
describe('the workspace', () => {
  const packages = ['apps', 'packages'].flatMap((group) =>
    readdirSync(path.join(repositoryRoot, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(group, entry.name)),
  );

  it.each(packages)('%s has tests of its own, run by a vitest project', (directory) => {
    const root = path.join(repositoryRoot, directory);
    expect(testFiles(path.join(root, 'src')).length).toBeGreaterThan(0);
    const config = readFileSync(path.join(root, 'vitest.config.ts'), 'utf8');
    expect(config).toMatch(/include: \['src\/\*\*\/\*\.test\.ts'\]/);
    expect(config).not.toMatch(/passWithNoTests/);
  });
});
