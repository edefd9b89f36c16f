/**
 * The time source of the cache. Every freshness decision (in TypeScript and, through
 * `p_now` parameters, in SQL) reads this clock, so tests move time forward instead of
 * sleeping.
 *
 * @module
 */

/** Where the cache reads the current time from. */
export interface Clock {
  /** Milliseconds since the Unix epoch, like `Date.now()`. */
  now(): number;
}

/** The real clock: `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that moves only when told to, for tests.
 *
 * @example Move time forward
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "./clock.ts";
 *
 * const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"));
 * clock.advance(30_000);
 * assert.deepEqual(new Date(clock.now()).toISOString(), "2026-01-01T00:00:30.000Z");
 * ```
 */
export class FakeClock implements Clock {
  #now: number;

  /**
   * @param start Initial time in epoch milliseconds.
   * @default {Date.parse("2026-01-01T00:00:00Z")}
   */
  constructor(start: number = Date.parse("2026-01-01T00:00:00Z")) {
    if (!Number.isFinite(start)) {
      throw new RangeError(`Cannot create clock: start must be a finite number: received ${start}`);
    }
    this.#now = start;
  }

  /** The current fake time in epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` milliseconds (never backwards). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(
        `Cannot advance clock: ms must be a non-negative number: received ${ms}`,
      );
    }
    this.#now += ms;
  }
}
