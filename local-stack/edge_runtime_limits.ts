/**
 * Hosted Edge Runtime limits the gateway enforces per request
 * (https://supabase.com/docs/guides/functions/limits): wall clock 150 s on the
 * free plan (400 s on paid plans), request idle timeout 150 s (no response by
 * then: 504), memory 256 MB (the function process's V8 heap limit; a process that
 * reaches it dies, the request gets 546 and the process is started again), CPU
 * time 2 s per request (async I/O excluded; a request that reaches it gets 546
 * and the process is started again, as the runtime shuts the worker down with
 * `CPUTime`; measured per process and shared among overlapping requests, see
 * functions/cpu_time_meter.ts).
 */
export interface EdgeRuntimeLimits {
  /** Longest a request may run, body included, in ms. @default 150000 */
  readonly wallClockMs: number;
  /** Longest wait for the response head, in ms. @default 150000 */
  readonly requestIdleTimeoutMs: number;
  /** Heap limit of each function process in MB (applied when the stack starts them). */
  readonly memoryLimitMb?: number;
  /** CPU time a request may use, in ms (0: not enforced). @default 2000 */
  readonly cpuTimeMs?: number;
}

/** Hosted free-plan limits. */
export const HOSTED_FREE_LIMITS: EdgeRuntimeLimits = {
  wallClockMs: 150_000,
  requestIdleTimeoutMs: 150_000,
  memoryLimitMb: 256,
  cpuTimeMs: 2_000,
};

/** Hosted paid-plan limits (wall clock 400 s). */
export const HOSTED_PAID_LIMITS: EdgeRuntimeLimits = {
  wallClockMs: 400_000,
  requestIdleTimeoutMs: 150_000,
  memoryLimitMb: 256,
  cpuTimeMs: 2_000,
};

/**
 * The answer when a resource limit stops a worker: 546 `WORKER_LIMIT`, as the
 * edge runtime's main service answers (supabase/cli
 * `apps/cli-go/internal/functions/serve/templates/main.ts`, `SB_SPECIFIC_ERROR_*`).
 */
export function workerLimitResponse(): Response {
  return Response.json({
    code: "WORKER_LIMIT",
    message: "Worker failed to respond due to a resource limit (please check logs)",
  }, { status: 546 });
}

/**
 * The answer when no response came within the request idle timeout: 504, as the
 * limits page states. The body is this stack's own (hosted's is not documented).
 */
export function idleTimeoutResponse(): Response {
  return Response.json({
    code: "GATEWAY_TIMEOUT",
    message: "Function did not respond within the request idle timeout",
  }, { status: 504 });
}

/**
 * Reads limit overrides from the environment (`NIGHTSHIFT_EDGE_WALL_CLOCK_SECONDS`,
 * `NIGHTSHIFT_EDGE_IDLE_TIMEOUT_SECONDS`, `NIGHTSHIFT_EDGE_MEMORY_MB`,
 * `NIGHTSHIFT_EDGE_CPU_TIME_SECONDS`, fractions allowed); hosted free limits for
 * what is unset or not a positive number.
 */
export function edgeRuntimeLimitsFromEnv(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): EdgeRuntimeLimits {
  const positive = (name: string): number | undefined => {
    const value = Number(env(name));
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const wallClock = positive("NIGHTSHIFT_EDGE_WALL_CLOCK_SECONDS");
  const idle = positive("NIGHTSHIFT_EDGE_IDLE_TIMEOUT_SECONDS");
  return {
    wallClockMs: wallClock ? wallClock * 1000 : HOSTED_FREE_LIMITS.wallClockMs,
    requestIdleTimeoutMs: idle ? idle * 1000 : HOSTED_FREE_LIMITS.requestIdleTimeoutMs,
    memoryLimitMb: positive("NIGHTSHIFT_EDGE_MEMORY_MB") ?? HOSTED_FREE_LIMITS.memoryLimitMb!,
    cpuTimeMs: (positive("NIGHTSHIFT_EDGE_CPU_TIME_SECONDS") ?? 0) * 1000 ||
      HOSTED_FREE_LIMITS.cpuTimeMs!,
  };
}
