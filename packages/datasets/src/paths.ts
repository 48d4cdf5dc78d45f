import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `../shared/datasets` beside the repository (where the team and CI keep the recorded datasets),
 * unless SWITCHYARD_DATASETS_DIR says otherwise. Datasets are never copied into the repository.
 */
export function sharedDatasetsDirectory(): string {
  const fromEnvironment = process.env.SWITCHYARD_DATASETS_DIR;
  if (fromEnvironment) return path.resolve(fromEnvironment);
  const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return path.resolve(repositoryRoot, '..', 'shared', 'datasets');
}
