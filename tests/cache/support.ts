/**
 * Helpers of the cache tests: a service-role connection (the role the functions'
 * cache store runs with, so grants are exercised), fresh organization ids, and cache
 * stacks with fake time.
 */
import postgres, { type Sql } from "postgres";
import { CacheStack, type CacheStackOptions } from "../../shared/cache/cache_stack.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import { type CacheConfig, readCacheConfig } from "../../shared/cache/config.ts";
import { cacheKey } from "../../shared/cache/cache_key.ts";
import type { CacheEntry } from "../../shared/cache/entry.ts";
import { computeEtag } from "../../shared/cache/etag.ts";
import { PostgresCacheStore } from "../../shared/cache/postgres_store.ts";
import { entryTags } from "../../shared/cache/tags.ts";
import { datasetTiers } from "../../shared/datasets/registry.ts";
import { testStack } from "../support/stack.ts";

/** A connection whose every query runs as `service_role`; close it with `sql.end()`. */
export function connectAsServiceRole(max = 4): Sql {
  return postgres(testStack.dbUrl, {
    max,
    onnotice: () => {},
    connection: { role: "service_role" } as Record<string, string>,
  });
}

/** A fresh organization id, so tests sharing the database never see each other's entries. */
export function newOrganizationId(): string {
  return crypto.randomUUID();
}

/** The cache configuration with `env` as environment (defaults for the rest). */
export function testConfig(env: Record<string, string> = {}): CacheConfig {
  return readCacheConfig((name) => env[name], datasetTiers());
}

/** A cache stack over the real database with a fake clock. */
export function createStack(
  sql: Sql,
  clock: FakeClock,
  options: { env?: Record<string, string> } & Partial<CacheStackOptions> = {},
): CacheStack {
  const { env, ...rest } = options;
  return new CacheStack({
    store: new PostgresCacheStore(sql),
    config: testConfig(env),
    clock,
    ...rest,
  });
}

/** A computation that counts its calls and returns `{ n: <call number>, ...extra }`. */
export function countingCompute(extra: Record<string, unknown> = {}): {
  compute: () => Promise<Record<string, unknown>>;
  readonly calls: number;
} {
  let calls = 0;
  return {
    compute: () => Promise.resolve({ n: ++calls, ...extra }),
    get calls() {
      return calls;
    },
  };
}

/** The error `work` throws (fails the test when it does not throw). */
export function thrownBy(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`Expected an Error to be thrown: received ${String(error)}`);
  }
  throw new Error("Expected an error to be thrown: nothing was thrown");
}

/** Writes an entry the way the cache stack does: lease (for the tag versions), then write. */
export async function seedEntry(
  store: PostgresCacheStore,
  entry: {
    organizationId: string;
    dataset?: string;
    params?: Record<string, string>;
    body?: string;
    now: number;
    staleMs?: number;
    retentionMs?: number;
    tags?: string[];
  },
): Promise<CacheEntry> {
  const dataset = entry.dataset ?? "price-alerts";
  const key = cacheKey({
    organizationId: entry.organizationId,
    dataset,
    params: entry.params ?? {},
  });
  const holder = crypto.randomUUID();
  const lease = await store.acquireLease(
    key,
    holder,
    entryTags(entry.organizationId, dataset, entry.tags),
    30_000,
    entry.now,
  );
  if (!lease.acquired) throw new Error(`seedEntry: lease of ${key} is held`);
  const body = entry.body ?? JSON.stringify({ at: entry.now });
  const written: CacheEntry = {
    key,
    organizationId: entry.organizationId,
    dataset,
    body,
    etag: computeEtag(body),
    tagVersions: lease.tagVersions,
    generatedAt: entry.now,
    freshUntil: entry.now + (entry.staleMs ?? 30_000),
    expiresAt: entry.now + (entry.retentionMs ?? 300_000),
  };
  await store.write(written, holder);
  return written;
}
