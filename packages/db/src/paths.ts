import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `prisma/migrations` of the repository, found from this file (src/ or dist/ of packages/db). */
export const defaultMigrationsDirectory = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'prisma',
  'migrations',
);
