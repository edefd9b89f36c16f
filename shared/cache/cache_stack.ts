/**
 * The tiered get-or-compute: L1 (isolate) → L2 (Postgres) → compute, with
 * single-flight, stale-while-revalidate and stale-if-error.
 *
 * @module
 */
import { BackgroundTasks, type WaitUntil } from "./background_tasks.ts";
import { cacheKey, type CacheParams } from "./cache_key.ts";
import { type CacheResult, cacheResult, type CacheStatus } from "./cache_result.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import {
  type AskedLease,
  type Computed,
  ComputeRunner,
  type ComputeTarget,
  type ComputeWork,
  type EntryWindow,
} from "./compute_runner.ts";
import { type CacheConfig, policyFor, readCacheConfig } from "./config.ts";
import type { CacheEntry } from "./entry.ts";
import {
  CacheComputeError,
  CacheSerializationError,
  InvalidCacheKeyError,
  isCallerFault,
  isComputeFailure,
} from "./errors.ts";
import { computeEtag } from "./etag.ts";
import { CacheEvents, type CacheSource } from "./events.ts";
import { HitRecorder, type HitTarget } from "./hit_recorder.ts";
import { L1Cache, type L1Hit, type L1Lookup } from "./l1_cache.ts";
import type {
  CacheStore,
  InvalidationMode,
  LeaseResult,
  StoreReadResult,
  TagChange,
} from "./l2_store.ts";
import { Revalidator } from "./revalidator.ts";
import { SingleFlight } from "./single_flight.ts";
import { entryTags, invalidationTags, type InvalidationTarget } from "./tags.ts";

/** Options of a {@linkcode CacheStack}. */
export interface CacheStackOptions {
  /** The L2 store, e.g. `new PostgresCacheStore(sql)`. */
  readonly store: CacheStore;
  /** Tiers, bounds and timings. @default {readCacheConfig()} */
  readonly config?: CacheConfig;
  /** @default {systemClock} */
  readonly clock?: Clock;
  /** Keeps background work alive. @default {defaultWaitUntil()} (`EdgeRuntime.waitUntil`) */
  readonly waitUntil?: WaitUntil;
  /** @default {new CacheEvents()} */
  readonly events?: CacheEvents;
  /** Real-time waits between lease polls. @default {setTimeout} */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One cached read. */
export interface CacheGetOptions<T> {
  readonly organizationId: string;
  readonly dataset: string;
  /** Dataset parameters, canonicalized into the key. @default {{}} */
  readonly params?: CacheParams;
  /**
   * The key, when the caller already computed `cacheKey` of these parts (e.g. once
   * per URL): a hit then does no canonicalization. It must start with
   * `<organizationId>:<dataset>:` ({@linkcode InvalidCacheKeyError} otherwise), and an
   * entry is served only to the organization and dataset it was stored for.
   */
  readonly key?: string;
  /** Custom tag names (scoped to the organization). @default {[]} */
  readonly tags?: readonly string[];
  /** Produces the value on a miss or a refresh. */
  readonly compute: () => Promise<T>;
  /** Serializes the value once; the window lets a body embed its meta. @default {JSON.stringify} */
  readonly serialize?: (value: T, window: EntryWindow) => string;
  /**
   * The caller knows of a recent invalidation (HTTP `Cache-Control: no-cache`, sent
   * by the client package after a broadcast): sync L1's tag snapshot first, and
   * answer an expired entry with its recomputation rather than stale (still stale
   * if the recomputation fails). @default {false}
   */
  readonly revalidate?: boolean;
}

/**
 * Cached reads for edge functions. Decide authorization before `get`: the key holds
 * the organization, so a caller only receives bytes stored for the organization it
 * names. L1 honors invalidations within the bound stated on {@linkcode L1Cache}.
 */
export class CacheStack {
  readonly events: CacheEvents;
  readonly hits: HitRecorder;
  readonly l1: L1Cache;
  readonly #store: CacheStore;
  readonly #config: CacheConfig;
  readonly #clock: Clock;
  readonly #tasks: BackgroundTasks;
  readonly #runner: ComputeRunner;
  readonly #revalidator: Revalidator;
  readonly #flights = new SingleFlight<CacheResult>();

  constructor(options: CacheStackOptions) {
    this.#store = options.store;
    this.#config = options.config ?? readCacheConfig();
    this.#clock = options.clock ?? systemClock;
    this.#tasks = new BackgroundTasks(options.waitUntil);
    this.events = options.events ?? new CacheEvents();
    const { events } = this;
    const [store, clock] = [this.#store, this.#clock];
    this.l1 = new L1Cache({ store, clock, ...this.#config.l1 });
    this.hits = new HitRecorder({
      store,
      clock,
      events,
      flushIntervalMs: this.#config.hitFlushIntervalMs,
      maxPendingKeys: this.#config.hitFlushMaxKeys,
      waitUntil: (promise) => this.#tasks.add(promise),
    });
    this.#runner = new ComputeRunner({
      store,
      clock,
      events,
      leaseTtlMs: this.#config.leaseTtlMs,
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
    this.#revalidator = new Revalidator({
      runner: this.#runner,
      l1: this.l1,
      events,
      tasks: this.#tasks,
      timeoutMs: this.#config.revalidateTimeoutMs,
      failures: this.hits,
    });
  }

  /**
   * Serves a read: a fresh L1 hit, else (once per key in flight) L2 or a computation.
   * Its latency on the cache's clock is counted with its kind (hit, stale, miss, wait).
   *
   * A fresh L1 hit that needs no tag sync is answered without an `await`: one clock
   * reading (its latency is counted as 0 ms, below the clock's resolution), the
   * entry's own hit count, and no event built unless `cache:hit` has a listener.
   */
  get<T>(options: CacheGetOptions<T>): Promise<CacheResult> {
    try {
      const startedAt = this.#clock.now();
      const key = options.key ?? cacheKey(options);
      if (this.#config.enabled === false || options.revalidate === true) {
        return this.#getSlow(options, key, startedAt, undefined);
      }
      const lookup = this.l1.peek(key, startedAt);
      const hit = lookup?.hit;
      if (hit !== undefined && this.#servesFresh(hit, options)) {
        return Promise.resolve(this.#l1Hit(hit, startedAt));
      }
      return this.#getSlow(options, key, startedAt, lookup);
    } catch (error) {
      // As an async function would: a read's failure is a rejection, never a throw.
      return Promise.reject(error);
    }
  }

  /** Whether an L1 hit is fresh and was stored for the organization and dataset asked for. */
  #servesFresh<T>(hit: L1Hit, options: CacheGetOptions<T>): boolean {
    // The hit path: no key, tags or policy to build; the entry says whose it is.
    return hit.state === "fresh" && hit.entry.dataset === options.dataset &&
      (hit.entry.organizationId === options.organizationId ||
        hit.entry.organizationId === options.organizationId.toLowerCase());
  }

  /** The answer of a fresh L1 hit at `now`, counted (latency `latencyMs`). */
  #l1Hit(hit: L1Hit, now: number, latencyMs = 0): CacheResult {
    const { entry } = hit;
    const tier = policyFor(this.#config, entry.dataset).tier;
    const result = cacheResult(entry, { status: "HIT", source: "l1", tier, now });
    this.hits.recordHit(hit.hits, now, latencyMs);
    if (this.events.has("cache:hit")) {
      this.events.emit("cache:hit", {
        key: entry.key,
        organizationId: entry.organizationId,
        dataset: entry.dataset,
        source: "l1",
        ageMs: now - entry.generatedAt,
      });
    }
    return result;
  }

  /** Everything but a fresh L1 hit answered at once; `peeked`: L1's answer when `peek` gave one. */
  async #getSlow<T>(
    options: CacheGetOptions<T>,
    key: string,
    startedAt: number,
    peeked: L1Lookup | undefined,
  ): Promise<CacheResult> {
    if (this.#config.enabled === false) {
      return await this.#bypass(this.#target(options, key), this.#work(options));
    }
    const revalidate = options.revalidate === true;
    // A revalidating read whose sync failed skips L1: its snapshot may predate the
    // invalidation the caller knows of (L1 would still serve it within its bound).
    // L2 checks the tags itself.
    const synced = !revalidate || await this.l1.syncNow().then(() => true, () => false);
    const lookup: L1Lookup = !synced
      ? { hit: undefined, epoch: 0 }
      : peeked ?? await this.#lookupL1(key);
    const hit = lookup.hit;
    if (hit !== undefined && this.#servesFresh(hit, options)) {
      const now = this.#clock.now();
      return this.#l1Hit(hit, now, now - startedAt);
    }
    const target = this.#target(options, key);
    const flight = revalidate ? `${key}\u0000revalidate` : key;
    const joined = this.#flights.has(flight);
    const result = await this.#flights.run(
      flight,
      () => this.#load(target, this.#work(options), lookup, revalidate),
    );
    this.#observe(target, result, joined, this.#clock.now() - startedAt);
    return result;
  }

  async #load<T>(
    target: ComputeTarget,
    work: ComputeWork<T>,
    lookup: L1Lookup,
    revalidate: boolean,
  ): Promise<CacheResult> {
    // When L1 held the key and it is no longer fresh, a computation most likely follows:
    // the read asks for the lease too (one round trip less per miss or refresh). Otherwise
    // an L2 hit is likely, and the plain read by key is the cheaper statement.
    const expectComputation = lookup.hit !== undefined || lookup.dropped === true;
    const holder = expectComputation ? crypto.randomUUID() : undefined;
    const { stored, lease } = await this.#readL2(target, holder);
    const asked = lease && holder ? { holder, lease } : undefined;
    if (stored?.state === "fresh") {
      this.l1.set(stored.entry, lookup.epoch);
      return this.#result(target, stored.entry, "HIT", "l2");
    }
    if (stored?.state === "stale") {
      this.l1.set(stored.entry, lookup.epoch, stored.tagsExpired);
      if (revalidate) {
        return await this.#recomputeOrStale(target, work, stored.entry, lookup.epoch, asked);
      }
      return await this.#serveStale(target, work, stored.entry, "l2", lookup.epoch, asked);
    }
    if (stored?.state === "unavailable" && lookup.hit) {
      return await this.#serveStale(target, work, lookup.hit.entry, "l1", lookup.epoch);
    }
    this.l1.delete(target.key);
    const computed = await this.#computeOrThrow(target, work, asked);
    if (computed.versioned) this.l1.set(computed.entry, lookup.epoch);
    return this.#result(target, computed.entry, "MISS", computed.source);
  }

  /**
   * The kill switch (`CACHE_ENABLED=false`): computes for this read alone, with
   * no tier read or written and no lease; the body says it is already stale
   * (`fresh_until` = `generated_at`), so clients do not keep it either.
   */
  async #bypass<T>(target: ComputeTarget, work: ComputeWork<T>): Promise<CacheResult> {
    const generatedAt = this.#clock.now();
    const window = {
      generatedAt: new Date(generatedAt),
      freshUntil: new Date(generatedAt),
      expiresAt: new Date(generatedAt),
    };
    let body: unknown;
    try {
      body = work.serialize(await work.compute(), window);
    } catch (error) {
      this.events.emit("cache:error", { operation: "compute", key: target.key, error });
      if (isCallerFault(error)) throw error;
      throw new CacheComputeError(target.key, { cause: error });
    }
    if (typeof body !== "string") throw new CacheSerializationError(target.key);
    const entry: CacheEntry = {
      key: target.key,
      organizationId: target.organizationId,
      dataset: target.dataset,
      body,
      etag: computeEtag(body),
      tagVersions: {},
      generatedAt,
      freshUntil: generatedAt,
      expiresAt: generatedAt,
    };
    return this.#result(target, entry, "BYPASS", "compute");
  }

  async #serveStale<T>(
    target: ComputeTarget,
    work: ComputeWork<T>,
    entry: CacheEntry,
    source: CacheSource,
    epoch: number,
    asked?: AskedLease,
  ): Promise<CacheResult> {
    const refreshed = await this.#revalidator.revalidate(target, work, epoch, asked);
    return refreshed
      ? this.#result(target, refreshed.entry, "MISS", refreshed.source)
      : this.#result(target, entry, "STALE", source);
  }

  /** A recomputation under the lease; the stale entry when it fails (stale-if-error). */
  async #recomputeOrStale<T>(
    target: ComputeTarget,
    work: ComputeWork<T>,
    entry: CacheEntry,
    epoch: number,
    asked: AskedLease | undefined,
  ): Promise<CacheResult> {
    try {
      const computed = await this.#computeOrThrow(target, work, asked);
      if (computed.versioned) this.l1.set(computed.entry, epoch);
      return this.#result(target, computed.entry, "MISS", computed.source);
    } catch {
      return this.#result(target, entry, "STALE", "l2");
    }
  }

  async #computeOrThrow<T>(
    target: ComputeTarget,
    work: ComputeWork<T>,
    asked?: AskedLease,
  ): Promise<Computed> {
    try {
      return await this.#runner.computeOrWait(target, work, asked);
    } catch (error) {
      this.events.emit("cache:error", { operation: "compute", key: target.key, error });
      if (isComputeFailure(error)) this.hits.recordFailure(target);
      if (isCallerFault(error)) throw error;
      throw new CacheComputeError(target.key, { cause: error });
    }
  }

  /**
   * Invalidates tags of one organization (datasets, custom tags, or everything) and
   * applies the change to this isolate's L1 at once; other isolates within the L1 bound.
   */
  async invalidate(
    target: InvalidationTarget & { readonly mode: InvalidationMode },
  ): Promise<TagChange[]> {
    const changes = await this.#store.invalidateTags(invalidationTags(target), target.mode);
    this.applyInvalidation(changes, target.mode);
    return changes;
  }

  /** Applies an invalidation this process committed itself (e.g. with `invalidateTagsWith`). */
  applyInvalidation(changes: readonly TagChange[], mode: InvalidationMode): void {
    this.l1.applyTagChanges(changes);
    this.events.emit("cache:invalidated", { tags: changes.map((change) => change.tag), mode });
  }

  /** Resolves once background refreshes and hit flushes started so far have settled. */
  idle(): Promise<void> {
    return this.#tasks.idle();
  }

  #target<T>(options: CacheGetOptions<T>, key: string): ComputeTarget {
    const organizationId = options.organizationId.toLowerCase();
    if (options.key !== undefined && !key.startsWith(`${organizationId}:${options.dataset}:`)) {
      throw new InvalidCacheKeyError(
        `Invalid cache key: expected it to start with ${organizationId}:${options.dataset}: ` +
          `received ${JSON.stringify(key.slice(0, 120))}`,
      );
    }
    return {
      key,
      organizationId,
      dataset: options.dataset,
      tags: entryTags(options.organizationId, options.dataset, options.tags),
      policy: policyFor(this.#config, options.dataset),
    };
  }

  #work<T>(options: CacheGetOptions<T>): ComputeWork<T> {
    const serialize = options.serialize ?? ((value: T) => JSON.stringify(value));
    return { compute: options.compute, serialize };
  }

  async #lookupL1(key: string): Promise<L1Lookup> {
    try {
      return await this.l1.get(key);
    } catch (error) {
      this.events.emit("cache:error", { operation: "l1.sync", key, error });
      return { hit: undefined, epoch: 0 };
    }
  }

  /**
   * The L2 read; with `holder`, also the lease unless the entry is fresh (see
   * `CacheStore.readOrLease`). `unavailable` when L2 failed.
   */
  async #readL2(
    target: ComputeTarget,
    holder: string | undefined,
  ): Promise<{
    stored: StoreReadResult | { readonly state: "unavailable" } | undefined;
    lease?: LeaseResult | undefined;
  }> {
    const now = this.#clock.now();
    try {
      if (holder === undefined) {
        return { stored: await this.#store.read(target.key, target.organizationId, now) };
      }
      const { read, lease } = await this.#store.readOrLease(
        target.key,
        target.organizationId,
        now,
        {
          holder,
          tags: target.tags,
          ttlMs: this.#config.leaseTtlMs,
        },
      );
      if (lease) this.#runner.reportTakeover(target, lease, now);
      return { stored: read, lease };
    } catch (error) {
      this.events.emit("cache:error", { operation: "l2.read", key: target.key, error });
      return { stored: { state: "unavailable" } };
    }
  }

  #result(
    target: ComputeTarget,
    entry: CacheEntry,
    status: CacheStatus,
    source: CacheSource,
  ): CacheResult {
    return cacheResult(entry, { status, source, tier: target.policy.tier, now: this.#clock.now() });
  }

  /**
   * Counts a read: HIT and STALE as such; a MISS is a `miss` only for the read
   * that ran the computation, a `wait` for reads that joined it in this isolate
   * (`joined`) or got another instance's (source `l2`).
   */
  #observe(target: HitTarget, result: CacheResult, joined: boolean, latencyMs: number): void {
    const kind = result.status === "HIT"
      ? "hit"
      : result.status === "STALE"
      ? "stale"
      : joined || result.source !== "compute"
      ? "wait"
      : "miss";
    this.hits.record(kind, target, latencyMs);
    if (!this.events.has(`cache:${kind}`)) return;
    this.events.emit(`cache:${kind}`, {
      key: target.key,
      organizationId: target.organizationId,
      dataset: target.dataset,
      source: result.source,
      ageMs: this.#clock.now() - result.generatedAt.getTime(),
    });
  }
}
