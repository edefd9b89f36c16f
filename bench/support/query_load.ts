/**
 * A bounded in-process load loop for database baselines: `concurrency` callers,
 * each awaiting one operation after another until the duration is over (or the
 * request cap is reached), with every operation's latency recorded.
 *
 * @module
 */

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** What a load loop measured. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: LatencySummary;
}

/** Options of {@linkcode runQueryLoad}. */
export interface QueryLoadOptions {
  readonly concurrency: number;
  readonly durationSeconds: number;
  /** Stops early after this many operations. @default 2_000_000 */
  readonly maxRequests?: number;
  /** The n-th operation (n = 0, 1, …). */
  readonly operation: (n: number) => Promise<unknown>;
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Summarizes latencies (milliseconds, any order). */
export function summarize(latencies: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(latencies).sort();
  const total = latencies.reduce((sum, value) => sum + value, 0);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: latencies.length ? total / latencies.length : Number.NaN,
  };
}

/** Runs the loop; rejects on the first failed operation. */
export async function runQueryLoad(options: QueryLoadOptions): Promise<LoadResult> {
  const maxRequests = options.maxRequests ?? 2_000_000;
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  const caller = async () => {
    while (performance.now() < deadline && issued < maxRequests) {
      const n = issued++;
      const sent = performance.now();
      await options.operation(n);
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    latencyMs: summarize(latencies),
  };
}

/**
 * Runs several operations on one caller, interleaved call by call (the order
 * reversed every other turn) for `durationSeconds`, so that load from elsewhere on
 * a shared machine falls on all of them alike: their latency ratios are then far
 * steadier than those of back-to-back blocks. Latencies by name; rejects on the
 * first failed operation.
 */
export async function runInterleavedQueries(
  operations: Readonly<Record<string, (n: number) => Promise<unknown>>>,
  durationSeconds: number,
): Promise<Record<string, LatencySummary>> {
  const names = Object.keys(operations);
  const latencies: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const deadline = performance.now() + durationSeconds * 1000;
  for (let turn = 0; performance.now() < deadline; turn++) {
    const order = turn % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const sent = performance.now();
      await operations[name]!(turn);
      latencies[name]!.push(performance.now() - sent);
    }
  }
  return Object.fromEntries(names.map((name) => [name, summarize(latencies[name]!)]));
}
