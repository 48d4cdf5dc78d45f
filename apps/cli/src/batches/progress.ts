/** What the progress line shows. */
export interface BatchProgress {
  status: string;
  total: number;
  completed: number;
  failed: number;
  costUsd: string;
  /** Time since the batch started, ms. */
  elapsedMs: number;
}

const BAR_WIDTH = 24;

/** `[#####.......] 1234/5000 (24.7%) · 12 failed · $0.0123 · ETA 1m20s · in_progress` */
export function formatProgress(progress: BatchProgress): string {
  const done = progress.completed + progress.failed;
  const fraction = progress.total === 0 ? 1 : Math.min(1, done / progress.total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const eta =
    done === 0 || done >= progress.total ? '--' : formatDuration(((progress.total - done) * progress.elapsedMs) / done);
  return [
    `${bar} ${done}/${progress.total} (${(fraction * 100).toFixed(1)}%)`,
    `${progress.failed} failed`,
    `$${formatCost(progress.costUsd)}`,
    `ETA ${eta}`,
    progress.status,
  ].join(' · ');
}

function formatCost(costUsd: string): string {
  const value = Number(costUsd);
  return value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
