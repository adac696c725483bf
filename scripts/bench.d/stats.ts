/**
 * The arithmetic of scripts/bench, kept pure so it is tested without a data plane: lag
 * percentiles from two sets of commit timestamps, throughput and CPU per 1,000 events from
 * samples, and the ratios the README reports.
 */

/** Nearest-rank quantile of sorted values (the smallest value with at least q of them at or below it). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError("quantile of no values");
  if (!(q > 0 && q <= 1)) throw new RangeError(`quantile ${q} is not in (0, 1]`);
  return sorted[Math.min(sorted.length, Math.ceil(q * sorted.length)) - 1] as number;
}

export interface LagSummary {
  /** Rows written at the source during the run. */
  readonly rows: number;
  /** Of those, rows whose document had not become visible in the store when the run ended. */
  readonly missing: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

/**
 * Lag of each row: the commit time of its document in the store minus the commit time of its
 * row at the source, both in ms from the same clock. Rows with no document count as missing
 * and make the percentiles unknowable (null), never silently better.
 */
export function lagSummary(source: ReadonlyMap<string, number>, store: ReadonlyMap<string, number>): LagSummary {
  const lags: number[] = [];
  let missing = 0;
  for (const [id, committed] of source) {
    const visible = store.get(id);
    if (visible === undefined) missing++;
    else lags.push(Math.max(0, visible - committed));
  }
  lags.sort((a, b) => a - b);
  const q = (x: number) => (missing > 0 || lags.length === 0 ? null : Math.round(quantile(lags, x)));
  return { rows: source.size, missing, p50Ms: q(0.5), p95Ms: q(0.95), p99Ms: q(0.99), maxMs: lags.length === 0 ? null : Math.round(lags[lags.length - 1] as number) };
}

/** CPU seconds per 1,000 events, to 4 decimals. */
export function cpuPerThousand(cpuSeconds: number, events: number): number {
  if (events <= 0) throw new RangeError(`events must be positive, found ${events}`);
  return round((cpuSeconds / events) * 1000, 4);
}

/** a / b to 2 decimals, or null when either side is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return round(a / b, 2);
}

/** Rows per second over a window in ms, rounded to a whole row. */
export function rowsPerSecond(rows: number, windowMs: number): number {
  if (windowMs <= 0) throw new RangeError(`the window must be positive, found ${windowMs} ms`);
  return Math.round(rows / (windowMs / 1000));
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
