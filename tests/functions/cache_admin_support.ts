/** Helpers of the cache-admin metrics, health and maintenance tests. */
import type { Sql } from "postgres";
import { cacheKey } from "../../shared/cache/cache_key.ts";
import { computeEtag } from "../../shared/cache/etag.ts";
import { entryTags } from "../../shared/cache/tags.ts";
import { functionUrl } from "../support/stack.ts";

/** A JSON answer of cache-admin. */
export interface AdminAnswer {
  readonly response: Response;
  // deno-lint-ignore no-explicit-any
  readonly body: any;
}

/** `GET /cache-admin/<path>` as the bearer of `token` (none: no Authorization header). */
export async function adminGet(token: string | undefined, path: string): Promise<AdminAnswer> {
  const response = await fetch(functionUrl(`cache-admin/${path}`), {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  return {
    response,
    body: response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text,
  };
}

/** `POST /cache-admin/<path>` with a JSON body (a string is sent as is). */
export async function adminPost(
  token: string | undefined,
  path: string,
  body: unknown,
  init: RequestInit = {},
): Promise<AdminAnswer> {
  const response = await fetch(functionUrl(`cache-admin/${path}`), {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
  return { response, body: await response.json() };
}

/** An entry as stored by `seedEntries`. */
export interface SeededEntry {
  readonly organizationId: string;
  readonly dataset: string;
  readonly params?: Record<string, string | number>;
  /** Written this long before the database's now. @default {0} */
  readonly ageMs?: number;
  /** Retention after writing. @default {one hour} */
  readonly retentionMs?: number;
  readonly hitCount?: number;
  readonly customTags?: readonly string[];
}

/**
 * Writes entries straight into cache.entries (as superuser), with the tags the cache
 * stack would give them at version 0, relative to the database's clock. Returns
 * their keys, in order.
 */
export async function seedEntries(sql: Sql, entries: readonly SeededEntry[]): Promise<string[]> {
  const keys: string[] = [];
  for (const entry of entries) {
    const key = cacheKey({
      organizationId: entry.organizationId,
      dataset: entry.dataset,
      params: entry.params ?? {},
    });
    const body = JSON.stringify({ key });
    const tags = Object.fromEntries(
      entryTags(entry.organizationId, entry.dataset, entry.customTags).map((tag) => [tag, 0]),
    );
    const ageMs = entry.ageMs ?? 0;
    const retentionMs = entry.retentionMs ?? 3_600_000;
    await sql`
      insert into cache.entries (key, organization_id, dataset, body, etag, tag_versions,
        created_at, fresh_until, expires_at, hit_count)
      values (${key}, ${entry.organizationId}, ${entry.dataset}, ${body}, ${computeEtag(body)},
        ${sql.json(tags)}, now() - ${ageMs}::bigint * interval '1 ms',
        now() - ${ageMs}::bigint * interval '1 ms',
        now() + ${retentionMs - ageMs}::bigint * interval '1 ms', ${entry.hitCount ?? 0})`;
    keys.push(key);
  }
  return keys;
}

/** Keys of an organization's stored entries, sorted. */
export async function storedKeys(sql: Sql, organizationId: string): Promise<string[]> {
  const rows = await sql<{ key: string }[]>`
    select key from cache.entries where organization_id = ${organizationId} order by key`;
  return rows.map((row) => row.key);
}

/** Deletes everything the cache and the maintenance log hold about these organizations. */
export async function forgetOrganizations(sql: Sql, ...organizationIds: string[]): Promise<void> {
  await sql`delete from cache.entries where organization_id = any (${organizationIds}::uuid[])`;
  await sql`delete from cache.counters where organization_id = any (${organizationIds}::uuid[])`;
  await sql`
    delete from cache_admin.maintenance_log where organization_id = any (${organizationIds}::uuid[])`;
  await sql`
    delete from cache_admin.confirmation_tokens
    where organization_id = any (${organizationIds}::uuid[])`;
}
