/**
 * The database's clock, read from an isolate: every time an isolate stores in
 * shared state (an L2 entry's generated/fresh/expiry times, a lease's expiry,
 * a hit bucket, a nightly claim or its visibility timeout) comes from here, so
 * an isolate whose own clock runs fast or slow neither stretches another's
 * freshness nor has its entries refused or expired early.
 *
 * @module
 */
import type { Sql } from "postgres";
import { type Clock, systemClock } from "../util/clock.ts";

/** Options of a {@linkcode DatabaseClock}. */
export interface DatabaseClockOptions {
  /** The connection pool whose server's clock is the reference. */
  readonly sql: Sql;
  /** The isolate's own clock. @default {systemClock} */
  readonly local?: Clock;
  /** Real time between resynchronizations, in ms. @default {60000} */
  readonly resyncIntervalMs?: number;
}

/**
 * A {@linkcode Clock} reading the isolate's clock corrected by its offset from
 * the database server's `clock_timestamp()`, measured at the midpoint of a
 * round trip (error at most half the round trip, a few ms) by {@linkcode sync}
 * and again in the background every `resyncIntervalMs` of real time (so a
 * fake local clock's jumps are kept, not measured away). Until the first
 * successful sync it reads the local clock: call `await clock.sync()` at
 * start-up (when it fails, the next attempt comes `resyncIntervalMs` later).
 */
export class DatabaseClock implements Clock {
  readonly #sql: Sql;
  readonly #local: Clock;
  readonly #resyncIntervalMs: number;
  #offsetMs = 0;
  #syncedAt: number | undefined;
  #attemptedAt: number | undefined;
  #syncing: Promise<number> | undefined;

  constructor(options: DatabaseClockOptions) {
    this.#sql = options.sql;
    this.#local = options.local ?? systemClock;
    this.#resyncIntervalMs = options.resyncIntervalMs ?? 60_000;
  }

  /** Whether the offset was measured at least once. */
  get synchronized(): boolean {
    return this.#syncedAt !== undefined;
  }

  /** The database's time now, epoch ms (the local clock plus the last measured offset). */
  now(): number {
    if (
      this.#attemptedAt !== undefined && this.#syncing === undefined &&
      performance.now() - this.#attemptedAt >= this.#resyncIntervalMs
    ) {
      // Background: a failed attempt keeps the last offset (none: the local clock).
      this.sync().catch(() => {});
    }
    return this.#local.now() + this.#offsetMs;
  }

  /** Measures the offset (database − local, ms) now and returns it. */
  sync(): Promise<number> {
    this.#syncing ??= (async () => {
      this.#attemptedAt = performance.now();
      try {
        const sentAt = this.#local.now();
        const [row] = await this.#sql<{ ms: number }[]>`
          select (extract(epoch from clock_timestamp()) * 1000)::float8 as ms`;
        const receivedAt = this.#local.now();
        this.#offsetMs = row!.ms - (sentAt + receivedAt) / 2;
        this.#syncedAt = performance.now();
        return this.#offsetMs;
      } finally {
        this.#syncing = undefined;
      }
    })();
    return this.#syncing;
  }
}
