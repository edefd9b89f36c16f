/**
 * Flushes a {@linkcode HitRecorder} on a timer, so counts reach `cache.counters`
 * within about one interval even when no later read comes to trigger the flush
 * (the recorder alone flushes only on a read `flushIntervalMs` after the last
 * flush). The timer does not keep the process alive (`Deno.unrefTimer`).
 *
 * @module
 */
import type { HitRecorder } from "./hit_recorder.ts";

/** A running flush timer. */
export interface HitFlushTimer {
  /** Stops the timer (pending counts stay pending: call `flush()` to keep them). */
  stop(): void;
}

interface DenoTimers {
  Deno?: { unrefTimer?: (id: ReturnType<typeof setInterval>) => void };
}

/**
 * Every `intervalMs` (> 0), flushes `recorder` when it holds pending counts.
 * Flush failures are the recorder's to report (`cache:error`); `onError` sees
 * anything else.
 *
 * @example
 * ```ts ignore
 * const timer = startHitFlushTimer(cache.hits, 10_000);
 * // ... on shutdown:
 * timer.stop();
 * await cache.hits.flush();
 * ```
 */
export function startHitFlushTimer(
  recorder: Pick<HitRecorder, "flush" | "pendingKeys">,
  intervalMs: number,
  onError: (error: unknown) => void = (error) => console.error("hit flush failed:", error),
): HitFlushTimer {
  if (!(intervalMs > 0)) {
    throw new RangeError(
      `Cannot start the hit flush timer: interval must be > 0: received ${intervalMs}`,
    );
  }
  const id = setInterval(() => {
    if (recorder.pendingKeys > 0) recorder.flush().catch(onError);
  }, intervalMs);
  (globalThis as DenoTimers).Deno?.unrefTimer?.(id);
  return { stop: () => clearInterval(id) };
}
