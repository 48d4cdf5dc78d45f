import type { EvalReport } from './run-eval.js';

/**
 * The terminal table: every system with accuracy, mean cost per query, and ratios to the best single
 * model's accuracy and to the mean single-model cost.
 */
export function formatReportTable(report: EvalReport): string {
  const singles = report.systems.filter((system) => system.kind === 'single');
  const bestSingle = singles.reduce(
    (best, system) => (system.accuracy > best.accuracy ? system : best),
    singles[0] ?? report.systems[0]!,
  );
  const meanSingleCost = singles.reduce((sum, system) => sum + system.costPerQueryUsd, 0) / Math.max(1, singles.length);
  const header = ['system', 'kind', 'accuracy', 'cost/query USD', 'acc ÷ best single', 'cost ÷ mean single'];
  const rows = report.systems.map((system) => [
    system.name === report.default ? `${system.name} *` : system.name,
    system.kind,
    `${(system.accuracy * 100).toFixed(2)}%`,
    system.costPerQueryUsd.toExponential(3),
    (system.accuracy / bestSingle.accuracy).toFixed(3),
    meanSingleCost === 0 ? '-' : (system.costPerQueryUsd / meanSingleCost).toFixed(3),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ');
  const areas = Object.entries(report.frontierAreas)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, area]) => `${kind} ${(area * 100).toFixed(2)}%`);
  const targets = report.systems
    .filter((system) => system.targetCostUsd !== undefined)
    .map((system) => {
      const target = system.targetCostUsd as number;
      const parts = system.parts.map(
        (part) =>
          `${part.fold === null ? 'test' : `fold ${part.fold}`} ${(part.costPerQueryUsd / target).toFixed(3)} ± ${(part.costStdErrUsd / target).toFixed(3)}`,
      );
      return `${system.name}: cost ÷ target per test part (± one standard error of its mean cost): ${parts.join(', ')}`;
    });
  const { ceiling } = report;
  const reach = ceiling.bestSingle.ceilingCostUsd;
  const ceilingLine =
    `ceiling of agreement cascades (reads the labels, a bound like the oracle; ≤ ${ceiling.maxModels} models agreeing per category): ` +
    [
      ...ceiling.atTargets.map(
        (target) => `${(target.accuracy * 100).toFixed(2)}% at ${target.targetCostUsd} USD per query`,
      ),
      `${ceiling.bestSingle.model}'s ${(ceiling.bestSingle.accuracy * 100).toFixed(2)}% ${
        reach === null
          ? 'not reached'
          : `reached at ${reach.toExponential(3)} USD (${(reach / ceiling.bestSingle.costUsd).toFixed(3)}× its cost)`
      }`,
    ].join('; ');
  return [
    `${report.dataset.queries} test queries of ${report.dataset.test}`,
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map(line),
    `best single model: ${bestSingle.name} (${(bestSingle.accuracy * 100).toFixed(2)}%); mean single-model cost ${meanSingleCost.toExponential(3)} USD; * = default knob`,
    `frontier area (hull with the single models, mean accuracy over 200 log-spaced budgets): ${areas.join(', ')}`,
    ...targets,
    ceilingLine,
  ].join('\n');
}
