/**
 * Benchmark `invalidation`: the cost of invalidating one tag that covers
 * 100,000 cache entries, Nightshift's version bump (`cache.invalidate_tags`, one
 * row of `cache.tag_versions`) against the seed plan's delete-by-tag (a
 * GIN-indexed `tags text[]` column and `delete … where tags @> array[tag]`) on
 * the same rows, copied into a scratch table of this benchmark's throwaway
 * database. Also a tag covering 10 entries both ways, and the background
 * `cache.cleanup` that later deletes the purged entries (pg_cron, off the
 * request path).
 *
 * Data: `--entries` entries of one organization carrying the tag, `--noise`
 * entries of another organization that do not, bodies of `--body-bytes`
 * (incompressible text, stored inline: the cheapest case for a delete). Both
 * tables are UNLOGGED, as `cache.entries` is, with the same secondary indexes;
 * the scratch table is vacuumed and analyzed before every delete. Each figure is
 * the median of `--repeat` runs, timed by the client on one connection.
 *
 * Args: --entries 100000 --noise 100000 --body-bytes 1024 --repeat 5
 *
 * @module
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import type { LocalStack } from "../local-stack/stack.ts";
import { withBenchStack } from "./support/bench_stack.ts";
import { summarize } from "./support/query_load.ts";
import type { BenchmarkReport } from "./support/report.ts";

interface Options {
  readonly entries: number;
  readonly noise: number;
  readonly bodyBytes: number;
  readonly repeat: number;
}

function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      entries: { type: "string", default: "100000" },
      noise: { type: "string", default: "100000" },
      "body-bytes": { type: "string", default: "1024" },
      repeat: { type: "string", default: "5" },
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
    repeat: integer("repeat", values.repeat, 1, 50),
  };
}

const DATASET = "supplier-data";
const SMALL_ENTRIES = 10;

export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const options = parseOptions(args);
  return await withBenchStack("invalidation", (stack) => measure(stack, options));
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

function median(samples: readonly number[]): number {
  return Math.round(summarize(samples).p50 * 1000) / 1000;
}

async function measure(stack: LocalStack, options: Options): Promise<BenchmarkReport> {
  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  try {
    // A scheduled cleanup would delete purged entries while we measure: unschedule any.
    await sql`
      select cron.unschedule(jobid) from cron.job
      where command ilike '%cleanup%' and database = current_database()`;
    const big = crypto.randomUUID();
    const small = crypto.randomUUID();
    const other = crypto.randomUUID();
    const bigTag = `org:${big}:dataset:${DATASET}`;
    const smallTag = `org:${small}:dataset:${DATASET}`;
    const repeats = Math.max(1, Math.ceil(options.bodyBytes / 32));

    // --- Entries: the same rows in cache.entries and in the seed plan's table. -------------
    const load = await timed(async () => {
      for (
        const [organization, count] of [[big, options.entries], [small, SMALL_ENTRIES], [
          other,
          options.noise,
        ]] as const
      ) {
        if (count === 0) continue;
        await sql`
          insert into cache.entries
            (key, organization_id, dataset, body, etag, tag_versions,
             created_at, fresh_until, expires_at)
          select ${organization}::text || ':' || ${DATASET} || ':i=' || i,
                 ${organization}::uuid, ${DATASET},
                 left(repeat(md5(${organization}::text || i), ${repeats}), ${options.bodyBytes}),
                 '"e' || i || '"',
                 jsonb_build_object('org:' || ${organization}::text, 0,
                                    'org:' || ${organization}::text || ':dataset:' || ${DATASET}, 0),
                 now(), now() + interval '1 hour', now() + interval '2 hours'
          from generate_series(1, ${count}::int) as i`;
      }
      await sql.unsafe(`
        create schema bench_seed;
        create unlogged table bench_seed.cache_entries (
          key text primary key,
          organization_id uuid not null,
          dataset text not null,
          body text not null,
          etag text not null,
          tags text[] not null,
          created_at timestamptz not null,
          fresh_until timestamptz not null,
          expires_at timestamptz not null,
          hit_count bigint not null default 0,
          last_hit_at timestamptz
        );
        create table bench_seed.source as
          select key, organization_id, dataset, body, etag,
                 array(select jsonb_object_keys(tag_versions) order by 1) as tags,
                 created_at, fresh_until, expires_at
          from cache.entries;
        insert into bench_seed.cache_entries
          (key, organization_id, dataset, body, etag, tags, created_at, fresh_until, expires_at)
          select * from bench_seed.source;
        create index cache_entries_tags_idx on bench_seed.cache_entries using gin (tags);
        create index cache_entries_expires_at_idx on bench_seed.cache_entries (expires_at);
        create index cache_entries_org_dataset_idx
          on bench_seed.cache_entries (organization_id, dataset);
      `).simple();
      await sql.unsafe("vacuum analyze cache.entries").simple();
      await sql.unsafe("vacuum analyze bench_seed.cache_entries").simple();
    });

    const [sizes] = await sql<{ entries: number; scratch: number; bytes: string }[]>`
      select (select count(*)::int from cache.entries) as entries,
             (select count(*)::int from bench_seed.cache_entries) as scratch,
             pg_total_relation_size('cache.entries')::text as bytes`;
    const [covered] = await sql<{ big: number; small: number }[]>`
      select count(*) filter (where tags @> array[${bigTag}])::int as big,
             count(*) filter (where tags @> array[${smallTag}])::int as small
      from bench_seed.cache_entries`;
    if (covered?.big !== options.entries || covered.small !== SMALL_ENTRIES) {
      throw new Error(`invalidation: tags cover ${JSON.stringify(covered)}, expected more`);
    }

    // --- Nightshift: version bumps. ---------------------------------------------------------
    const bump = async (tag: string, mode: "expire" | "purge") => {
      const { ms, value } = await timed(() =>
        sql<{ version: string }[]>`select * from cache.invalidate_tags(array[${tag}], ${mode})`
      );
      if (value.length !== 1) {
        throw new Error(`invalidation: bump of ${tag} changed ${value.length}`);
      }
      return ms;
    };
    // One unmeasured bump per tag first: it creates the tag_versions row (an insert).
    await bump(smallTag, "expire");
    await bump(bigTag, "expire");
    const bumps = {
      bigExpire: [] as number[],
      bigPurge: [] as number[],
      smallPurge: [] as number[],
    };
    for (let i = 0; i < options.repeat; i++) {
      bumps.bigExpire.push(await bump(bigTag, "expire"));
      bumps.smallPurge.push(await bump(smallTag, "purge"));
      bumps.bigPurge.push(await bump(bigTag, "purge"));
    }
    // Every covered entry now reads as purged, and nothing else changed.
    const [check] = await sql<{ purged: number; others: number; status: string }[]>`
      select
        (select count(*)::int from cache.entries
          where organization_id = ${big}
            and (tag_versions ->> ${bigTag})::bigint
                < (select purged_version from cache.tag_versions where tag = ${bigTag})) as purged,
        (select count(*)::int from cache.entries where organization_id = ${other}) as others,
        (select status from cache.read(${big}::text || ':' || ${DATASET} || ':i=1', ${big}::uuid))
          as status`;
    if (check?.purged !== options.entries || check.status !== "purged") {
      throw new Error(`invalidation: after the purge ${JSON.stringify(check)}`);
    }

    // --- The seed plan: delete by GIN match. ------------------------------------------------
    const restore = async () => {
      await sql`
        insert into bench_seed.cache_entries
          (key, organization_id, dataset, body, etag, tags, created_at, fresh_until, expires_at)
        select * from bench_seed.source as s
        where not exists (select from bench_seed.cache_entries as e where e.key = s.key)`;
      await sql.unsafe("vacuum analyze bench_seed.cache_entries").simple();
    };
    const deleteByTag = async (tag: string, expected: number) => {
      await restore();
      const { ms, value } = await timed(() =>
        sql`delete from bench_seed.cache_entries where tags @> array[${tag}]`
      );
      if (value.count !== expected) {
        throw new Error(`invalidation: delete by ${tag} removed ${value.count}, not ${expected}`);
      }
      return ms;
    };
    const deletes = { big: [] as number[], bigGin: [] as number[], small: [] as number[] };
    const explain = async () =>
      (await sql<{ "QUERY PLAN": string }[]>`
        explain delete from bench_seed.cache_entries where tags @> array[${bigTag}]`)
        .map((row) => row["QUERY PLAN"]).join("\n");
    const plan = await explain();
    // The planner may prefer a sequential scan when the tag covers much of the table;
    // the seed plan's index path is timed too, with sequential scans disabled.
    await sql`set enable_seqscan = off`;
    const ginPlan = await explain();
    await sql`reset enable_seqscan`;
    for (let i = 0; i < options.repeat; i++) {
      deletes.small.push(await deleteByTag(smallTag, SMALL_ENTRIES));
      deletes.big.push(await deleteByTag(bigTag, options.entries));
      await sql`set enable_seqscan = off`;
      deletes.bigGin.push(await deleteByTag(bigTag, options.entries));
      await sql`reset enable_seqscan`;
    }

    // --- Nightshift's deferred work: cleanup deletes the purged entries later. --------------
    const cleanup = await timed(() =>
      sql<{ purged_entries: string }[]>`
        select * from cache.cleanup(now(), ${options.entries + SMALL_ENTRIES + 1})`
    );
    const cleaned = Number(cleanup.value[0]?.purged_entries ?? 0);

    const bigPurge = median(bumps.bigPurge);
    const bigDelete = median(deletes.big);
    const smallPurge = median(bumps.smallPurge);
    const smallDelete = median(deletes.small);
    const n = options.entries.toLocaleString("en-US");
    return {
      name: "invalidation",
      description:
        `invalidate one tag covering ${n} of ${sizes!.entries.toLocaleString("en-US")} ` +
        "entries: version bump (cache.invalidate_tags) vs the seed plan's GIN delete-by-tag",
      measurements: [
        { name: `version bump, purge, tag of ${n} entries`, value: bigPurge, unit: "ms" },
        {
          name: `version bump, expire, tag of ${n} entries`,
          value: median(bumps.bigExpire),
          unit: "ms",
        },
        {
          name: `seed plan delete-by-tag, ${n} entries (planner's choice)`,
          value: bigDelete,
          unit: "ms",
        },
        {
          name: `seed plan delete-by-tag, ${n} entries (GIN index path)`,
          value: median(deletes.bigGin),
          unit: "ms",
        },
        {
          name: `ratio delete-by-tag / version bump, ${n} entries`,
          value: Math.round(bigDelete / bigPurge),
          unit: "x",
        },
        {
          name: `version bump, purge, tag of ${SMALL_ENTRIES} entries`,
          value: smallPurge,
          unit: "ms",
        },
        {
          name: `seed plan delete-by-tag, ${SMALL_ENTRIES} entries`,
          value: smallDelete,
          unit: "ms",
        },
        {
          name: `version bump ${n} / ${SMALL_ENTRIES} entries (flat = O(tags))`,
          value: Math.round((bigPurge / smallPurge) * 100) / 100,
          unit: "x",
        },
        {
          name: `delete-by-tag ${n} / ${SMALL_ENTRIES} entries`,
          value: Math.round(bigDelete / smallDelete),
          unit: "x",
        },
        {
          name: `background cache.cleanup of the ${cleaned.toLocaleString("en-US")} purged entries`,
          value: Math.round(cleanup.ms * 10) / 10,
          unit: "ms",
        },
        { name: "rows per table", value: sizes!.entries, unit: "rows" },
        { name: "body size", value: options.bodyBytes, unit: "bytes" },
      ],
      context: {
        options,
        method: "Medians of client-timed statements on one connection (includes one loopback " +
          "round trip). Bumps: `select * from cache.invalidate_tags(array[tag], mode)` after one " +
          "unmeasured bump that creates the tag's row. Deletes: the scratch table is refilled and " +
          "vacuum-analyzed before each `delete … where tags @> array[tag]`. The throwaway " +
          "cluster runs with fsync and synchronous_commit off, so neither side pays a WAL flush " +
          "at commit; both tables are UNLOGGED.",
        loadSeconds: load.ms / 1000,
        scratchRows: sizes!.scratch,
        cacheEntriesBytes: Number(sizes!.bytes),
        deletePlan: plan,
        deletePlanIndexOnly: ginPlan,
        samplesMs: { bumps, deletes, cleanup: cleanup.ms },
        verification: check,
        cpus: navigator.hardwareConcurrency,
        deno: Deno.version.deno,
      },
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
