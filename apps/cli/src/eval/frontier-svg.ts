import { upperConcaveHull } from '@switchyard/core';
import type { EvalReport, SystemSummary } from './run-eval.js';

const WIDTH = 1000;
const HEIGHT = 620;
const MARGIN = { left: 78, right: 270, top: 56, bottom: 64 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;
const CHARACTER_WIDTH = 6.4;

const STYLE: Record<SystemSummary['kind'], { color: string; legend: string }> = {
  single: { color: '#4b5563', legend: 'single model' },
  oracle: { color: '#b45309', legend: 'oracle (upper bound)' },
  cascade: { color: '#2563eb', legend: 'cascade alone (fixed)' },
  taxonomy: { color: '#7c3aed', legend: 'taxonomy router alone' },
  learned: { color: '#db2777', legend: 'learned router alone' },
  agreement: { color: '#0891b2', legend: 'agreement baseline' },
  switchyard: { color: '#059669', legend: 'Switchyard (knob, presets)' },
};

/** Accuracy against mean cost per query (log x) as a self-contained SVG. */
export function renderFrontierSvg(report: EvalReport): string {
  const systems = report.systems.filter((system) => system.costPerQueryUsd > 0);
  const costs = systems.map((system) => system.costPerQueryUsd);
  const accuracies = systems.map((system) => system.accuracy);
  const logMin = Math.log10(Math.min(...costs) / 1.6);
  const logMax = Math.log10(Math.max(...costs) * 1.6);
  const accuracyMin = Math.max(0, Math.floor((Math.min(...accuracies) - 0.02) * 20) / 20);
  const accuracyMax = Math.min(1, Math.ceil((Math.max(...accuracies) + 0.02) * 20) / 20);
  const x = (cost: number) => MARGIN.left + ((Math.log10(cost) - logMin) / (logMax - logMin)) * PLOT_WIDTH;
  const y = (accuracy: number) =>
    MARGIN.top + (1 - (accuracy - accuracyMin) / (accuracyMax - accuracyMin)) * PLOT_HEIGHT;

  const parts: string[] = [];
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}" fill="#ffffff" stroke="#9ca3af"/>`,
  );
  for (let exponent = Math.floor(logMin); exponent <= Math.ceil(logMax); exponent += 1) {
    for (const mantissa of [1, 2, 5]) {
      const value = mantissa * 10 ** exponent;
      const log = Math.log10(value);
      if (log < logMin || log > logMax) continue;
      const position = x(value).toFixed(1);
      parts.push(
        `<line x1="${position}" y1="${MARGIN.top}" x2="${position}" y2="${MARGIN.top + PLOT_HEIGHT}" stroke="#e5e7eb"${mantissa === 1 ? '' : ' stroke-dasharray="3 3"'}/>`,
        `<text x="${position}" y="${MARGIN.top + PLOT_HEIGHT + 18}" text-anchor="middle" class="tick">${mantissa}e${exponent}</text>`,
      );
    }
  }
  for (let accuracy = accuracyMin; accuracy <= accuracyMax + 1e-9; accuracy += 0.05) {
    const position = y(accuracy).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${position}" x2="${MARGIN.left + PLOT_WIDTH}" y2="${position}" stroke="#e5e7eb"/>`,
      `<text x="${MARGIN.left - 8}" y="${position}" text-anchor="end" dominant-baseline="middle" class="tick">${(accuracy * 100).toFixed(0)}%</text>`,
    );
  }

  // Each router kind's frontier: the upper hull of its points and the single models (what the frontier
  // area averages), drawn in its colour; Switchyard's on top.
  const singles = systems.filter((system) => system.kind === 'single');
  for (const kind of ['agreement', 'cascade', 'taxonomy', 'learned', 'switchyard'] as const) {
    const own = systems.filter((system) => system.kind === kind);
    if (own.length === 0) continue;
    const hull = upperConcaveHull(
      [...own, ...singles].map((system) => ({ costUsd: system.costPerQueryUsd, accuracy: system.accuracy })),
    );
    const points = hull.map((point) => `${x(point.costUsd).toFixed(1)},${y(point.accuracy).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${STYLE[kind].color}" stroke-width="${kind === 'switchyard' ? 2.5 : 1.5}"${kind === 'switchyard' ? '' : ' stroke-dasharray="5 3"'} opacity="0.85"/>`,
    );
  }

  // The agreement-cascade ceiling (reads the labels): dotted, in the oracle's colour, inside the plot.
  const ceiling = report.ceiling.points.filter(
    (point) => point.costUsd > 0 && Math.log10(point.costUsd) >= logMin && Math.log10(point.costUsd) <= logMax,
  );
  if (ceiling.length > 1) {
    const points = ceiling.map((point) => `${x(point.costUsd).toFixed(1)},${y(point.accuracy).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${STYLE.oracle.color}" stroke-width="1.5" stroke-dasharray="1 3" opacity="0.9"/>`,
    );
  }

  // Markers count as placed, so labels move off other systems' points too.
  const placed: { x: number; y: number; width: number }[] = systems.map((system) => ({
    x: x(system.costPerQueryUsd) - 6,
    y: y(system.accuracy),
    width: 12,
  }));
  for (const system of systems) {
    const cx = x(system.costPerQueryUsd);
    const cy = y(system.accuracy);
    const { color } = STYLE[system.kind];
    parts.push(marker(system.kind, cx, cy, color, system.name === report.default));
    // Knob rows are many: label only Switchyard's presets, targets and ends, and every other system once.
    const label = labelOf(system);
    if (label === null) continue;
    const position = placeLabel(placed, cx + 9, cy, label.length * CHARACTER_WIDTH);
    parts.push(
      `<text x="${position.x.toFixed(1)}" y="${position.y.toFixed(1)}" dominant-baseline="middle" class="label" fill="${color}">${escapeXml(label)}</text>`,
    );
  }

  const kinds = [...new Set(systems.map((system) => system.kind))];
  kinds.forEach((kind, index) => {
    const legendY = MARGIN.top + 12 + index * 22;
    const legendX = MARGIN.left + PLOT_WIDTH + 22;
    parts.push(
      marker(kind, legendX, legendY, STYLE[kind].color, false),
      `<text x="${legendX + 12}" y="${legendY}" dominant-baseline="middle" class="legend">${escapeXml(STYLE[kind].legend)}</text>`,
    );
  });
  const notesY = MARGIN.top + 30 + kinds.length * 22;
  const notes = [
    `ringed: default knob (${report.default.replace('switchyard ', '')})`,
    'lines: each kind with the single',
    'models, mixing allowed (upper hull)',
    'oracle: cheapest correct model per',
    'query, else the cheapest model',
    'dotted: ceiling of agreement',
    'cascades (reads the labels)',
    `${report.dataset.queries} test queries`,
  ];
  notes.forEach((note, index) => {
    parts.push(
      `<text x="${MARGIN.left + PLOT_WIDTH + 22}" y="${notesY + index * 18}" class="legend">${escapeXml(note)}</text>`,
    );
  });

  const title = `Accuracy vs mean cost per query — ${escapeXml(shortName(report.dataset.test))}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.tick{font-size:11px;fill:#374151}.label{font-size:11px}.legend{font-size:12px;fill:#111827}.axis{font-size:13px;fill:#111827}</style>',
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#f9fafb"/>`,
    `<text x="${MARGIN.left}" y="30" class="axis" font-weight="bold">${title}</text>`,
    ...parts,
    `<text x="${MARGIN.left + PLOT_WIDTH / 2}" y="${HEIGHT - 18}" text-anchor="middle" class="axis">mean cost per query, USD (log scale)</text>`,
    `<text x="20" y="${MARGIN.top + PLOT_HEIGHT / 2}" text-anchor="middle" class="axis" transform="rotate(-90 20 ${MARGIN.top + PLOT_HEIGHT / 2})">accuracy</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function marker(kind: SystemSummary['kind'], cx: number, cy: number, color: string, ringed: boolean): string {
  const ring = ringed
    ? `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="10" fill="none" stroke="${color}" stroke-width="1.5"/>`
    : '';
  const at = (dx: number, dy: number) => `${(cx + dx).toFixed(1)},${(cy + dy).toFixed(1)}`;
  switch (kind) {
    case 'oracle':
      return `<polygon points="${at(0, -7)} ${at(7, 0)} ${at(0, 7)} ${at(-7, 0)}" fill="${color}"/>${ring}`;
    case 'cascade':
      return `<rect x="${(cx - 5).toFixed(1)}" y="${(cy - 5).toFixed(1)}" width="10" height="10" fill="${color}"/>${ring}`;
    case 'agreement':
      return `<polygon points="${at(0, 6)} ${at(6, -5)} ${at(-6, -5)}" fill="${color}"/>${ring}`;
    case 'taxonomy':
    case 'learned':
      return `<polygon points="${at(0, -6)} ${at(6, 5)} ${at(-6, 5)}" fill="${color}"/>${ring}`;
    default:
      return `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="${kind === 'single' ? 4.5 : 5}" fill="${color}"/>${ring}`;
  }
}

/** Moves a label up or down in 13px steps until it overlaps no label placed before. */
function placeLabel(placed: { x: number; y: number; width: number }[], lx: number, ly: number, width: number) {
  const overlaps = (candidateY: number) =>
    placed.some((other) => Math.abs(other.y - candidateY) < 12 && lx < other.x + other.width && other.x < lx + width);
  for (let step = 0; step < 12; step += 1) {
    const offset = (step % 2 === 0 ? 1 : -1) * Math.ceil(step / 2) * 13;
    if (!overlaps(ly + offset)) {
      const position = { x: lx, y: ly + offset, width };
      placed.push(position);
      return position;
    }
  }
  placed.push({ x: lx, y: ly, width });
  return { x: lx, y: ly };
}

function labelOf(system: SystemSummary): string | null {
  if (system.kind === 'switchyard') {
    return typeof system.quality === 'number' && system.quality !== 0 && system.quality !== 1
      ? null
      : system.name.replace('switchyard ', '');
  }
  if (system.kind === 'single' || system.kind === 'oracle' || system.kind === 'agreement') return system.name;
  return null;
}

function shortName(file: string): string {
  return file.split('/').slice(-2).join('/');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
