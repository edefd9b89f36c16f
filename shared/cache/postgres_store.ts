/**
 * The L2 tier: the `cache` schema in Postgres, reached only through its SQL API
 * (`supabase/migrations/20261121020100_cache_functions.sql`, and the view
 * `cache.entry_states` for reads). One statement per operation; a read never
 * writes (`readOrLease` writes only its lease).
 *
 * @module
 */
import type { Sql, TransactionSql } from "postgres";
import type { CacheEntry } from "./entry.ts";
import { CacheStoreError, InvalidCacheInputError } from "./errors.ts";
import type {
  CacheStore,
  CleanupResult,
  HitBatch,
  InvalidationMode,
  LeaseRequest,
  LeaseResult,
  LeaseTakeover,
  ReadOrLeaseResult,
  StoreReadResult,
  TagChange,
  TagChanges,
} from "./l2_store.ts";

interface ReadRow {
  body: string | null;
  etag: string | null;
  tag_versions: Record<string, number>;
  created_at: Date;
  fresh_until: Date;
  expires_at: Date;
  status: "fresh" | "stale" | "purged" | "expired";
  tags_expired: boolean;
}

/** A row of the view `cache.entry_states`; the time part of the status is ours to apply. */
interface StateRow {
  body: string;
  etag: string;
  tag_versions: Record<string, number>;
  created_at: Date;
  fresh_until: Date;
  expires_at: Date;
  tags_expired: boolean;
  tags_purged: boolean;
}

/** `cache.read`'s status of a `cache.entry_states` row at `now` (a test keeps them equal). */
function toReadRow(row: StateRow, now: number): ReadRow {
  const time = now >= row.expires_at.getTime()
    ? "expired"
    : now >= row.fresh_until.getTime()
    ? "stale"
    : "fresh";
  const status = row.tags_purged
    ? "purged"
    : time === "expired"
    ? "expired"
    : row.tags_expired
    ? "stale"
    : time;
  return { ...row, status, tags_expired: row.tags_expired };
}

/** A row of `cache.read_or_lease`: status null on a miss, lease_* null when fresh. */
interface ReadOrLeaseRow {
  body: string | null;
  etag: string | null;
  tag_versions: Record<string, number> | null;
  created_at: Date | null;
  fresh_until: Date | null;
  expires_at: Date | null;
  status: "fresh" | "stale" | "purged" | "expired" | null;
  tags_expired: boolean | null;
  lease_acquired: boolean;
  lease_tag_versions: Record<string, number> | null;
  took_over_holder: string | null;
  took_over_expires_at: Date | null;
}

/** A row of `cache.acquire_lease`: entry_* set only when a fresh entry was found. */
interface LeaseRow {
  acquired: boolean;
  tag_versions: Record<string, number> | null;
  entry_body: string | null;
  entry_etag: string | null;
  entry_tag_versions: Record<string, number> | null;
  entry_created_at: Date | null;
  entry_fresh_until: Date | null;
  entry_expires_at: Date | null;
  took_over_holder: string | null;
  took_over_expires_at: Date | null;
}

interface TagRow {
  tag: string;
  version: string | number;
  purged_version: string | number;
}

function toTagChange(row: TagRow): TagChange {
  return { tag: row.tag, version: Number(row.version), purgedVersion: Number(row.purged_version) };
}

/**
 * Runs one statement of `operation`: invalid input reported by SQL (SQLSTATE 22023)
 * becomes an {@linkcode InvalidCacheInputError}, anything else a {@linkcode CacheStoreError}.
 */
async function run<T>(operation: string, statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    if ((error as { code?: unknown }).code === "22023") {
      throw new InvalidCacheInputError((error as Error).message, operation);
    }
    throw new CacheStoreError(operation, { cause: error });
  }
}

/** A row of `cache.read` (or of `cache.read_or_lease` with a status) as a read result. */
function toReadResult(key: string, organizationId: string, row: ReadRow): StoreReadResult {
  if (row.status === "purged" || row.status === "expired") return { state: row.status };
  return {
    state: row.status,
    tagsExpired: row.tags_expired,
    entry: {
      key,
      // The SQL matched both, and the table checks the key starts with them.
      organizationId: organizationId.toLowerCase(),
      dataset: key.slice(organizationId.length + 1, key.indexOf(":", organizationId.length + 1)),
      body: row.body!,
      etag: row.etag!,
      tagVersions: row.tag_versions,
      generatedAt: row.created_at.getTime(),
      freshUntil: row.fresh_until.getTime(),
      expiresAt: row.expires_at.getTime(),
    },
  };
}

/**
 * Bumps the versions of `tags` with `cache.invalidate_tags` on `sql`, which may be a
 * transaction: cache-admin commits the bump together with its audit row and its
 * Realtime broadcast. Costs one row per tag, whatever the number of entries.
 */
export async function invalidateTagsWith(
  sql: Sql | TransactionSql,
  tags: readonly string[],
  mode: InvalidationMode,
): Promise<TagChange[]> {
  const rows = await run("invalidate", () =>
    sql<TagRow[]>`
      select tag, version, purged_version from cache.invalidate_tags(${tags as string[]}, ${mode})`);
  return rows.map(toTagChange);
}

/**
 * {@linkcode CacheStore} over the `cache` schema. Give it a service-side connection
 * (`SUPABASE_DB_URL`, or a role with the service_role grants); it must reach the
 * primary, since entries are UNLOGGED and do not exist on read replicas.
 */
export class PostgresCacheStore implements CacheStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async read(
    key: string,
    organizationId: string,
    now: number,
  ): Promise<StoreReadResult | undefined> {
    // By key alone: the key embeds its organization (cache.entries checks it), so an
    // entry of another organization is never read; each bound parameter costs.
    const owner = organizationId.toLowerCase();
    if (!key.startsWith(`${owner}:`)) return undefined;
    const rows = await run("read", () =>
      this.#sql<StateRow[]>`
        select body, etag, tag_versions, created_at, fresh_until, expires_at, tags_expired,
               tags_purged
        from cache.entry_states where key = ${key}`);
    const row = rows[0];
    return row === undefined ? undefined : toReadResult(key, owner, toReadRow(row, now));
  }

  async readOrLease(
    key: string,
    organizationId: string,
    now: number,
    lease: LeaseRequest,
  ): Promise<ReadOrLeaseResult> {
    const rows = await run("read", () =>
      this.#sql<ReadOrLeaseRow[]>`
        select body, etag, tag_versions, created_at, fresh_until, expires_at, status, tags_expired,
               lease_acquired, lease_tag_versions, took_over_holder, took_over_expires_at
        from cache.read_or_lease(${key}, ${organizationId}::uuid, ${new Date(now)},
          ${lease.holder}, ${lease.tags as string[]}, ${lease.ttlMs})`);
    const row = rows[0]!;
    const read = row.status === null
      ? undefined
      : toReadResult(key, organizationId, row as ReadRow);
    const takeover = takeoverOf(row);
    // Fresh: no lease, unless one was won, taken over and given back for this entry.
    if (row.status === "fresh") {
      return "takeover" in takeover ? { read, lease: { acquired: false, ...takeover } } : { read };
    }
    return {
      read,
      lease: row.lease_acquired
        ? { acquired: true, tagVersions: row.lease_tag_versions ?? {}, ...takeover }
        : { acquired: false },
    };
  }

  async acquireLease(
    key: string,
    holder: string,
    tags: readonly string[],
    ttlMs: number,
    now: number,
  ): Promise<LeaseResult> {
    const at = new Date(now);
    const rows = await run("lease", () =>
      this.#sql<LeaseRow[]>`
        select acquired, tag_versions, entry_body, entry_etag, entry_tag_versions,
               entry_created_at, entry_fresh_until, entry_expires_at, took_over_holder,
               took_over_expires_at
        from cache.acquire_lease(${key}, ${holder}, ${tags as string[]}, ${ttlMs}, ${at})`);
    const row = rows[0];
    const takeover = takeoverOf(row);
    if (row?.acquired) return { acquired: true, tagVersions: row.tag_versions ?? {}, ...takeover };
    if (row?.entry_body == null) return { acquired: false };
    const organizationId = key.slice(0, key.indexOf(":")).toLowerCase();
    return {
      acquired: false,
      entry: {
        key,
        organizationId,
        dataset: key.slice(organizationId.length + 1, key.indexOf(":", organizationId.length + 1)),
        body: row.entry_body,
        etag: row.entry_etag!,
        tagVersions: row.entry_tag_versions!,
        generatedAt: row.entry_created_at!.getTime(),
        freshUntil: row.entry_fresh_until!.getTime(),
        expiresAt: row.entry_expires_at!.getTime(),
      },
      ...takeover,
    };
  }

  async releaseLease(key: string, holder: string): Promise<boolean> {
    const rows = await run("release lease", () =>
      this.#sql<{ released: boolean }[]>`
        select cache.release_lease(${key}, ${holder}) as released`);
    return rows[0]?.released ?? false;
  }

  async write(entry: CacheEntry, leaseHolder?: string): Promise<boolean> {
    const rows = await run("write", () =>
      this.#sql<{ written: boolean }[]>`
        select cache.write(
          ${entry.key}, ${entry.organizationId}::uuid, ${entry.dataset}, ${entry.body},
          ${entry.etag}, ${this.#sql.json({ ...entry.tagVersions })},
          ${new Date(entry.generatedAt)}, ${new Date(entry.freshUntil)},
          ${new Date(entry.expiresAt)}, ${leaseHolder ?? null}
        ) as written`);
    return rows[0]?.written ?? false;
  }

  invalidateTags(tags: readonly string[], mode: InvalidationMode): Promise<TagChange[]> {
    return invalidateTagsWith(this.#sql, tags, mode);
  }

  async tagChanges(watermark: string | undefined): Promise<TagChanges> {
    const rows = await run(
      "tag changes",
      () =>
        this.#sql<{ result: { watermark: string; changes: TagRow[] } }[]>`
        select cache.tag_changes(${watermark ?? null}::xid8) as result`,
    );
    const result = rows[0]!.result;
    return { watermark: result.watermark, changes: result.changes.map(toTagChange) };
  }

  async recordHits(batch: HitBatch, now: number): Promise<void> {
    const entries = batch.entries.map((entry) => ({
      key: entry.key,
      hits: entry.hits,
      last_hit_at: new Date(entry.lastHitAt).toISOString(),
    }));
    const counters = batch.counters.map((counter) => ({
      organization_id: counter.organizationId,
      dataset: counter.dataset,
      hits: counter.hits,
      stale_hits: counter.staleHits,
      misses: counter.misses,
      waits: counter.waits ?? 0,
      compute_failures: counter.computeFailures ?? 0,
      hit_latency_ms: counter.latencyMs?.hit ?? null,
      stale_latency_ms: counter.latencyMs?.stale ?? null,
      miss_latency_ms: counter.latencyMs?.miss ?? null,
    }));
    await run("record hits", () =>
      this.#sql`
        select cache.record_hits(
          ${this.#sql.json(entries)}, ${this.#sql.json(counters)}, ${new Date(
        now,
      )})`);
  }

  async cleanup(now: number, limit = 10_000): Promise<CleanupResult> {
    const rows = await run("cleanup", () =>
      this.#sql<Record<string, string | number>[]>`
        select * from cache.cleanup(${new Date(now)}, ${limit})`);
    const row = rows[0]!;
    return {
      expiredEntries: Number(row.expired_entries),
      purgedEntries: Number(row.purged_entries),
      expiredLeases: Number(row.expired_leases),
      oldCounters: Number(row.old_counters),
    };
  }
}

/**
 * The expired lease a lease statement replaced (`took_over_holder`,
 * `took_over_expires_at` of `cache.acquire_lease` / `cache.read_or_lease`), as a
 * spreadable `{ takeover }`; `{}` when it replaced none (or there is no row).
 */
function takeoverOf(
  row: { took_over_holder: string | null; took_over_expires_at: Date | null } | undefined,
): { takeover?: LeaseTakeover } {
  return row?.took_over_holder != null && row.took_over_expires_at != null
    ? {
      takeover: {
        previousHolder: row.took_over_holder,
        previousExpiresAt: row.took_over_expires_at.getTime(),
      },
    }
    : {};
}
