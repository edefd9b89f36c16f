import type { BenchmarkReport } from "./support/report.ts";

/** A benchmark module: one file under bench/ exporting `run`. */
export interface BenchmarkModule {
  /** Runs the benchmark with its own command-line arguments. */
  run(args: readonly string[]): Promise<BenchmarkReport>;
}

/**
 * Every benchmark, by name. Add one by writing `bench/<name>_bench.ts` with a
 * `run` export and listing it here; modules load only when run.
 */
export const BENCHMARKS: Readonly<Record<string, () => Promise<BenchmarkModule>>> = {
  generate: () => import("./generate_bench.ts"),
  "cache-read": () => import("./cache_read_bench.ts"),
  invalidation: () => import("./invalidation_bench.ts"),
  nightly: () => import("./nightly_bench.ts"),
  "client-revalidation": () => import("./client_revalidation_bench.ts"),
  "cold-burst": () => import("./cold_burst_bench.ts"),
  zipf: () => import("./zipf_bench.ts"),
  "realtime-latency": () => import("./realtime_latency_bench.ts"),
  "client-invalidation": () => import("./client_invalidation_bench.ts"),
};
