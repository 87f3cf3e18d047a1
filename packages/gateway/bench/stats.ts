/** The p-th percentile (0–100) of samples, by the nearest-rank method. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

/** One cumulative bucket of a Prometheus histogram: how many observations were ≤ `le`. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The q-quantile (0–1) of a cumulative histogram, interpolated linearly inside its bucket as
 * Prometheus's `histogram_quantile` does; the highest finite bound when it falls in `+Inf`.
 */
export function histogramQuantile(buckets: readonly Bucket[], q: number): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower;
      return count === below ? le : lower + ((le - lower) * (rank - below)) / (count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}
