/**
 * Stale-while-revalidate and stale-if-error: refreshing a stale entry once per key,
 * in the background, while the stale entry is served.
 *
 * @module
 */
import type { BackgroundTasks } from "./background_tasks.ts";
import type {
  AskedLease,
  Computed,
  ComputeRunner,
  ComputeTarget,
  ComputeWork,
} from "./compute_runner.ts";
import { isComputeFailure } from "./errors.ts";
import type { CacheEvents } from "./events.ts";
import type { HitRecorder } from "./hit_recorder.ts";
import type { L1Cache } from "./l1_cache.ts";
import { SingleFlight } from "./single_flight.ts";

/** Options of a {@linkcode Revalidator}. */
export interface RevalidatorOptions {
  readonly runner: ComputeRunner;
  readonly l1: L1Cache;
  readonly events: CacheEvents;
  readonly tasks: BackgroundTasks;
  /**
   * How long a stale read waits for its refresh before answering stale (0: answer at
   * once, refresh in the background). @default {0}
   */
  readonly timeoutMs?: number;
  /** Where failed refreshes are counted (see `isComputeFailure`). */
  readonly failures?: Pick<HitRecorder, "recordFailure">;
}

/**
 * Refreshes stale entries: one refresh per key in this isolate, and under the L2
 * lease, one across instances (an instance that cannot take the lease leaves the
 * refresh to its holder). A failed refresh is reported (`cache:error`, operation
 * `refresh`) and the stale entry keeps being served until it expires: stale-if-error.
 */
export class Revalidator {
  readonly #runner: ComputeRunner;
  readonly #l1: L1Cache;
  readonly #events: CacheEvents;
  readonly #tasks: BackgroundTasks;
  readonly #timeoutMs: number;
  readonly #failures: Pick<HitRecorder, "recordFailure"> | undefined;
  readonly #refreshes = new SingleFlight<Computed | undefined>();

  constructor(options: RevalidatorOptions) {
    this.#runner = options.runner;
    this.#l1 = options.l1;
    this.#events = options.events;
    this.#tasks = options.tasks;
    this.#timeoutMs = options.timeoutMs ?? 0;
    this.#failures = options.failures;
  }

  /**
   * Starts (or joins) the refresh of `target`. Resolves with the refreshed entry when
   * it completes within the timeout, otherwise `undefined`: serve the stale entry.
   * `asked`: the lease the stale read already asked for. Not won: another holder
   * refreshes (this isolate's refresh in flight is joined; otherwise nothing starts).
   * Won while a refresh is in flight here: given back.
   */
  async revalidate<T>(
    target: ComputeTarget,
    work: ComputeWork<T>,
    epoch: number,
    asked?: AskedLease,
  ): Promise<Computed | undefined> {
    const inFlight = this.#refreshes.has(target.key);
    if (asked && !asked.lease.acquired && !inFlight) return undefined;
    if (asked?.lease.acquired && inFlight) {
      this.#tasks.add(this.#runner.release(target.key, asked.holder));
    }
    const refresh = this.#refreshes.run(
      target.key,
      () => this.#refresh(target, work, epoch, asked),
    );
    this.#tasks.add(refresh);
    if (this.#timeoutMs <= 0) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#timeoutMs);
    });
    try {
      return await Promise.race([refresh.catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #refresh<T>(
    target: ComputeTarget,
    work: ComputeWork<T>,
    epoch: number,
    asked: AskedLease | undefined,
  ): Promise<Computed | undefined> {
    try {
      const computed = await this.#runner.refresh(target, work, asked);
      if (computed?.versioned) this.#l1.set(computed.entry, epoch);
      return computed;
    } catch (error) {
      this.#events.emit("cache:error", { operation: "refresh", key: target.key, error });
      if (isComputeFailure(error)) this.#failures?.recordFailure(target);
      throw error;
    }
  }
}
