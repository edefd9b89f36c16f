/**
 * In-isolate single-flight: concurrent calls for one key share one execution.
 *
 * @module
 */

/**
 * Deduplicates concurrent work by key: while a call for a key is running, later calls
 * for that key get the same promise. Once it settles, the next call runs again.
 *
 * @example 3 concurrent calls, 1 execution
 * ```ts
 * import assert from "node:assert/strict";
 * import { SingleFlight } from "./single_flight.ts";
 *
 * const flights = new SingleFlight<number>();
 * let runs = 0;
 * const work = () => flights.run("k", async () => ++runs);
 * assert.deepEqual(await Promise.all([work(), work(), work()]), [1, 1, 1]);
 * ```
 */
export class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>();

  /** Number of keys with work in flight. */
  get size(): number {
    return this.#running.size;
  }

  /** Whether work for `key` is in flight (a `run` now would join it). */
  has(key: string): boolean {
    return this.#running.has(key);
  }

  /** Runs `work` for `key`, or joins the run already in flight for it. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.#running.get(key);
    if (running !== undefined) return running;
    const started = (async () => {
      try {
        return await work();
      } finally {
        this.#running.delete(key);
      }
    })();
    this.#running.set(key, started);
    return started;
  }
}
