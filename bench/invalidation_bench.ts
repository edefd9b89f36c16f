/**
 * Benchmark `invalidation`: invalidating one tag that covers `--entries` cache
 * entries among `--noise` entries of another organization, and the deferred
 * work that follows a purge, each figure from `--samples` samples:
 *
 * - the version bump (`cache.invalidate_tags`, purge) against BentoCache
 *   1.6.1's `deleteByTag` (memory L1 + Postgres L2 through knex), which does
 *   the same O(1) work: it records an invalidation instead of touching entries;
 * - the deferred cleanup: `cache.cleanup` deleting the purged entries, against
 *   deleting those same entries directly by primary key (`delete … where key =
 *   any(…)`, the least a cleanup must do); with a tag covering 10 entries too,
 *   so a cleanup that grows with unrelated entries shows;
 * - a cleanup pass with nothing to delete (its fixed cost over `--noise`
 *   unrelated entries).
 *
 * Entries are restored (same rows, written under the current tag versions) and
 * the table vacuumed and analyzed before every timed statement. Timed by the
 * client on one connection (one loopback round trip included). UNLOGGED tables,
 * fsync off on the throwaway cluster.
 *
 * Args: --entries 100000 --noise 100000 --body-bytes 512 --samples 5
 *
 * @module
 */
import { BentoCache, bentostore } from "bentocache";
import { knexDriver } from "bentocache/drivers/knex";
import { memoryDriver } from "bentocache/drivers/memory";
import knex from "knex";
import { parseArgs } from "node:util";
import pg from "pg";
// @ts-ignore: knex ships this dialect without types
import PgClientUntyped from "knex/lib/dialects/postgres/index.js";
import postgres from "postgres";
import type { LocalStack } from "../local-stack/stack.ts";
import { GOALS } from "./goals.ts";
import { withBenchStack } from "./support/bench_stack.ts";
import { type Figure, MIN_SAMPLES, ratios } from "./support/figures.ts";
import type { BenchmarkReport } from "./support/report.ts";

interface Options {
  readonly entries: number;
  readonly noise: number;
  readonly bodyBytes: number;
  readonly samples: number;
}

function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      entries: { type: "string", default: "100000" },
      noise: { type: "string", default: "100000" },
      "body-bytes": { type: "string", default: "512" },
      samples: { type: "string", default: String(MIN_SAMPLES) },
    },
    strict: true,
  });
  const integer = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`invalidation: --${name} must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
  return {
    entries: integer("entries", values.entries, 10, 5_000_000),
    noise: integer("noise", values.noise, 0, 5_000_000),
    bodyBytes: integer("body-bytes", values["body-bytes"], 32, 1_000_000),
    samples: integer("samples", values.samples, 1, 50),
  };
}

const DATASET = "supplier-data";
const SMALL_ENTRIES = 10;

const PgClient = PgClientUntyped as new (config: unknown) => { _driver(): unknown };
/** knex loads its driver with require("pg"), which npm: packages cannot see: hand it over. */
class PgDriverClient extends PgClient {
  override _driver(): unknown {
    return pg;
  }
}

export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const options = parseOptions(args);
  return await withBenchStack("invalidation", (stack) => measure(stack, options));
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

async function measure(stack: LocalStack, options: Options): Promise<BenchmarkReport> {
  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  const bentoKnex = knex({
    client: PgDriverClient as unknown as typeof knex.Client,
    connection: stack.dbUrl,
    pool: { min: 0, max: 1 },
  });
  const bento = new BentoCache({
    default: "bench",
    stores: {
      bench: bentostore()
        .useL1Layer(memoryDriver({ maxItems: 1000 }))
        .useL2Layer(knexDriver({ connection: bentoKnex })),
    },
  });
  try {
    // A scheduled cleanup would delete purged entries while we measure: unschedule any.
    await sql`
      select cron.unschedule(jobid) from cron.job
      where command ilike '%cleanup%' and database = current_database()`;
    const big = crypto.randomUUID();
    const small = crypto.randomUUID();
    const other = crypto.randomUUID();
    const repeats = Math.max(1, Math.ceil(options.bodyBytes / 32));

    /** Writes the entries of `organization` (again), under the current tag versions. */
    const fill = async (organization: string, count: number) => {
      await sql`
        insert into cache.entries
          (key, organization_id, dataset, body, etag, tag_versions,
           created_at, fresh_until, expires_at)
        select ${organization}::text || ':' || ${DATASET} || ':i=' || i,
               ${organization}::uuid, ${DATASET},
               left(repeat(md5(${organization}::text || i), ${repeats}), ${options.bodyBytes}),
               '"e' || i || '"',
               jsonb_build_object(
                 'org:' || ${organization}::text,
                 coalesce((select version from cache.tag_versions
                           where tag = 'org:' || ${organization}::text), 0),
                 'org:' || ${organization}::text || ':dataset:' || ${DATASET},
                 coalesce((select version from cache.tag_versions
                           where tag = 'org:' || ${organization}::text || ':dataset:' || ${DATASET}), 0)),
               now(), now() + interval '1 hour', now() + interval '2 hours'
        from generate_series(1, ${count}::int) as i
        on conflict (key) do nothing`;
      await sql.unsafe("vacuum analyze cache.entries").simple();
    };
    const keysOf = (organization: string, count: number) =>
      Array.from({ length: count }, (_, i) => `${organization}:${DATASET}:i=${i + 1}`);
    const load = await timed(async () => {
      if (options.noise > 0) await fill(other, options.noise);
      await fill(big, options.entries);
      await fill(small, SMALL_ENTRIES);
    });
    const tagOf = (organization: string) => `org:${organization}:dataset:${DATASET}`;
    const count = async (organization: string) =>
      (await sql<{ n: number }[]>`
        select count(*)::int as n from cache.entries where organization_id = ${organization}`)[0]!
        .n;

    const bump = async (tag: string) =>
      (await timed(() => sql`select * from cache.invalidate_tags(array[${tag}], 'purge')`)).ms;
    const cleanup = async () =>
      await timed(() =>
        sql<{ purged_entries: string }[]>`
          select * from cache.cleanup(now(), ${options.entries + options.noise + SMALL_ENTRIES})`
      );
    const directDelete = async (organization: string, n: number) =>
      (await timed(() =>
        sql`delete from cache.entries where key = any(${keysOf(organization, n)})`
      ))
        .ms;

    // A first cleanup pass clears whatever the load left (nothing is purged yet).
    await cleanup();
    const samples = {
      bumpBig: [] as number[],
      bumpSmall: [] as number[],
      bento: [] as number[],
      cleanupBig: [] as number[],
      deleteBig: [] as number[],
      cleanupSmall: [] as number[],
      deleteSmall: [] as number[],
      idleCleanup: [] as number[],
    };
    await bento.getOrSet({ key: "warm", tags: [tagOf(big)], factory: () => "x", ttl: "1h" });
    for (let i = 0; i < options.samples; i++) {
      for (
        const [organization, n, bumps, cleanups, deletes] of [
          [big, options.entries, samples.bumpBig, samples.cleanupBig, samples.deleteBig],
          [small, SMALL_ENTRIES, samples.bumpSmall, samples.cleanupSmall, samples.deleteSmall],
        ] as const
      ) {
        await fill(organization, n);
        bumps.push(await bump(tagOf(organization)));
        const cleaned = await cleanup();
        const purged = Number(cleaned.value[0]?.purged_entries ?? 0);
        const left = await count(organization);
        if (purged !== n || left !== 0) {
          throw new Error(`invalidation: cleanup deleted ${purged} of ${n}, ${left} left`);
        }
        cleanups.push(cleaned.ms);
        await fill(organization, n);
        deletes.push(await directDelete(organization, n));
      }
      samples.idleCleanup.push((await cleanup()).ms);
      samples.bento.push(
        (await timed(() => bento.deleteByTag({ tags: [tagOf(big)] }))).ms,
      );
    }
    const [sizes] = await sql<{ entries: number }[]>`
      select count(*)::int as entries from cache.entries`;
    const n = options.entries.toLocaleString("en-US");
    const noise = options.noise.toLocaleString("en-US");
    const figures: Figure[] = [
      {
        name: `cleanup after purging a tag of ${n} entries / deleting them by key`,
        unit: "x",
        samples: ratios(samples.cleanupBig, samples.deleteBig),
        goal: GOALS.cleanupVsDirectDelete,
      },
      {
        name: `cleanup after purging a tag of ${SMALL_ENTRIES} entries / deleting them by key`,
        unit: "x",
        samples: ratios(samples.cleanupSmall, samples.deleteSmall),
        goal: GOALS.cleanupVsDirectDelete,
        note: `${noise} unrelated entries: a cleanup that scans them fails this one`,
      },
      { name: `cleanup of ${n} purged entries`, unit: "ms", samples: samples.cleanupBig },
      { name: `direct delete of ${n} entries by key`, unit: "ms", samples: samples.deleteBig },
      {
        name: `cleanup pass with nothing to delete (${noise} unrelated entries)`,
        unit: "ms",
        samples: samples.idleCleanup,
      },
      {
        name: `version bump (purge), tag of ${n} entries`,
        unit: "ms",
        samples: samples.bumpBig,
      },
      {
        name: `version bump (purge), tag of ${SMALL_ENTRIES} entries`,
        unit: "ms",
        samples: samples.bumpSmall,
      },
      {
        name: "BentoCache deleteByTag (memory L1 + knex L2)",
        unit: "ms",
        samples: samples.bento,
        note: "O(1) too: records an invalidation, touches no entry",
      },
      {
        name: `version bump ${n} entries / BentoCache deleteByTag`,
        unit: "x",
        samples: ratios(samples.bumpBig, samples.bento),
      },
    ];
    return {
      name: "invalidation",
      description: `purge one tag covering ${n} of ${
        (options.entries + options.noise)
          .toLocaleString("en-US")
      } entries: the version bump vs BentoCache's deleteByTag, and ` +
        "the deferred cleanup vs deleting the same entries directly",
      figures,
      measurements: [
        { name: "rows in cache.entries at the end", value: sizes!.entries, unit: "rows" },
        { name: "body size", value: options.bodyBytes, unit: "bytes" },
        { name: "load", value: Math.round(load.ms) / 1000, unit: "s" },
      ],
      notes: [
        "Client-timed statements on one connection (one loopback round trip included); the " +
        "table is refilled and vacuum-analyzed before each timed statement.",
      ],
      context: { options, samplesMs: samples, cpus: navigator.hardwareConcurrency },
    };
  } finally {
    await bento.disconnectAll().catch(() => {});
    await sql.end({ timeout: 5 });
  }
}
