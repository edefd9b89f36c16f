/**
 * Work that outlives the read that started it (stale-while-revalidate refreshes, hit
 * flushes), kept alive by the runtime (`EdgeRuntime.waitUntil`) and awaitable as a whole.
 *
 * @module
 */

/** Registers a promise the runtime must not cut short. */
export type WaitUntil = (promise: Promise<unknown>) => void;

interface EdgeRuntimeGlobal {
  EdgeRuntime?: { waitUntil?: (promise: Promise<unknown>) => void };
}

/**
 * `EdgeRuntime.waitUntil` on Supabase Edge Functions; elsewhere (local stack, tests) the
 * promise simply runs on, its rejection observed so it is never unhandled (cache
 * errors are reported through `cache:error` events).
 */
export function defaultWaitUntil(): WaitUntil {
  const runtime = (globalThis as EdgeRuntimeGlobal).EdgeRuntime;
  if (typeof runtime?.waitUntil === "function") {
    const waitUntil = runtime.waitUntil.bind(runtime);
    return (promise) => waitUntil(promise.catch(() => {}));
  }
  return (promise) => void promise.catch(() => {});
}

/**
 * Tracks background promises: each is handed to `waitUntil` (so the edge runtime
 * does not stop the isolate before it settles) and its rejection is swallowed
 * (failures are reported through `cache:error` where they happen).
 *
 * @example Wait for background work
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackgroundTasks } from "./background_tasks.ts";
 *
 * const tasks = new BackgroundTasks();
 * let done = false;
 * tasks.add((async () => { done = true; })());
 * await tasks.idle();
 * assert.deepEqual(done, true);
 * ```
 */
export class BackgroundTasks {
  readonly #waitUntil: WaitUntil;
  readonly #pending = new Set<Promise<unknown>>();

  /** @param waitUntil @default {defaultWaitUntil()} (`EdgeRuntime.waitUntil` where it exists) */
  constructor(waitUntil: WaitUntil = defaultWaitUntil()) {
    this.#waitUntil = waitUntil;
  }

  /** Number of tasks not yet settled. */
  get size(): number {
    return this.#pending.size;
  }

  /** Keeps `promise` alive in the background. */
  add(promise: Promise<unknown>): void {
    const tracked: Promise<unknown> = promise.catch(() => {}).finally(() =>
      this.#pending.delete(tracked)
    );
    this.#pending.add(tracked);
    this.#waitUntil(tracked);
  }

  /** Resolves once every task added so far, and any they added, has settled. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
