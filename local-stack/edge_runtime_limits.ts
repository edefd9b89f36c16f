/**
 * Hosted Edge Runtime limits the gateway enforces per request
 * (https://supabase.com/docs/guides/functions/limits): wall clock 150 s on the
 * free plan (400 s on paid plans), request idle timeout 150 s (no response by
 * then: 504). CPU time (2 s) and memory (256 MB) are not enforced locally.
 */
export interface EdgeRuntimeLimits {
  /** Longest a request may run, body included, in ms. @default 150000 */
  readonly wallClockMs: number;
  /** Longest wait for the response head, in ms. @default 150000 */
  readonly requestIdleTimeoutMs: number;
}

/** Hosted free-plan limits. */
export const HOSTED_FREE_LIMITS: EdgeRuntimeLimits = {
  wallClockMs: 150_000,
  requestIdleTimeoutMs: 150_000,
};

/** Hosted paid-plan limits (wall clock 400 s). */
export const HOSTED_PAID_LIMITS: EdgeRuntimeLimits = {
  wallClockMs: 400_000,
  requestIdleTimeoutMs: 150_000,
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

/** Reads limit overrides (seconds) from the environment; hosted free limits otherwise. */
export function edgeRuntimeLimitsFromEnv(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): EdgeRuntimeLimits {
  const seconds = (name: string, fallbackMs: number) => {
    const value = Number(env(name));
    return Number.isFinite(value) && value > 0 ? value * 1000 : fallbackMs;
  };
  return {
    wallClockMs: seconds("NIGHTSHIFT_EDGE_WALL_CLOCK_SECONDS", HOSTED_FREE_LIMITS.wallClockMs),
    requestIdleTimeoutMs: seconds(
      "NIGHTSHIFT_EDGE_IDLE_TIMEOUT_SECONDS",
      HOSTED_FREE_LIMITS.requestIdleTimeoutMs,
    ),
  };
}
