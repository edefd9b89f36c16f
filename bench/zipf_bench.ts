/**
 * Benchmark `zipf`: a read-mostly multi-tenant workload on the `datasets`
 * function, `--ops` operations over `--keys` keys (every dataset of
 * keys / 9 organizations: the five nightly ones, the three live ones and the
 * caller's preferences), keys drawn from a Zipf distribution (exponent `--s`,
 * ranks shuffled over organizations and datasets), with `--write-share` of the
 * operations being base-table writes to one organization (a supplier, a
 * location, an invoice line or the caller's preferences updated, in turn:
 * statement-level triggers invalidate what those tables feed). Run once with the cache
 * (the `datasets` function) and once without (bench/support/functions/uncached:
 * the same shell computing every read, as a kill switch would), the same
 * operation sequence each time; the figure is the SQL statements the function
 * sent with the cache / without (pg_stat_statements, the functions' role only).
 *
 * Each sample starts cold (the organization's tag purged, L1 synced) and uses
 * its own seed. Reads run on `--workers` concurrent connections, writes in
 * sequence with them from the same queue.
 *
 * Args: --samples 5 --ops 20000 --keys 200 --s 1.1 --write-share 0.01 --workers 8
 * --invoices-per-org 100
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FunctionProcess } from "../local-stack/functions/function_process.ts";
import { mintUserToken } from "../local-stack/keys.ts";
import { repoRoot, supabaseDir } from "../local-stack/paths.ts";
import type { LocalStack } from "../local-stack/stack.ts";
import { generateProcurementData } from "../tools/generator/generate.ts";
import { generatedOrganizationIds } from "../tools/generator/ids.ts";
import { resolveGeneratorOptions } from "../tools/generator/options.ts";
import { GOALS } from "./goals.ts";
import { functionEnv, startFunction, withBenchStack } from "./support/bench_stack.ts";
import { type Figure, MIN_SAMPLES, ratios } from "./support/figures.ts";
import type { BenchmarkReport } from "./support/report.ts";
import {
  benchAdmin,
  enableStatementStats,
  functionStatements,
  resetStatements,
  STATEMENT_STATS_STACK,
} from "./support/statement_stats.ts";

const SEED = 6161;
const DATASETS = [
  "dashboard-metrics",
  "product-metrics",
  "cogs-analysis",
  "supplier-metrics",
  "invoice-analytics",
  "price-alerts",
  "supplier-data",
  "location-data",
  "user-preferences",
] as const;
const WRITE_TABLES = ["suppliers", "locations", "invoice_lines", "user_preferences"] as const;

interface Options {
  readonly samples: number;
  readonly ops: number;
  readonly keys: number;
  readonly s: number;
  readonly writeShare: number;
  readonly workers: number;
  readonly invoicesPerOrganization: number;
}

function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      samples: { type: "string", default: String(MIN_SAMPLES) },
      ops: { type: "string", default: "20000" },
      keys: { type: "string", default: "200" },
      s: { type: "string", default: "1.1" },
      "write-share": { type: "string", default: "0.01" },
      workers: { type: "string", default: "8" },
      "invoices-per-org": { type: "string", default: "100" },
    },
    strict: true,
  });
  const number = (name: string, text: string, min: number, max: number, integer = true) => {
    const value = Number(text);
    if (
      !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))
    ) {
      throw new Error(`zipf: --${name} must be a number from ${min} to ${max}: ${text}`);
    }
    return value;
  };
  return {
    samples: number("samples", values.samples, 1, 50),
    ops: number("ops", values.ops, 10, 1_000_000),
    keys: number("keys", values.keys, 1, 10_000),
    s: number("s", values.s, 0, 5, false),
    writeShare: number("write-share", values["write-share"], 0, 1, false),
    workers: number("workers", values.workers, 1, 64),
    invoicesPerOrganization: number("invoices-per-org", values["invoices-per-org"], 10, 100_000),
  };
}

/** A small seeded PRNG (mulberry32): the same seed draws the same workload. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Operation = { readonly kind: "read"; readonly key: number } | {
  readonly kind: "write";
  readonly table: typeof WRITE_TABLES[number];
  /** Index of the organization written to. */
  readonly organization: number;
};

/** The operation sequence of one sample: Zipf(s) key ranks, a share of writes. */
function workload(options: Options, seed: number, organizations: number): Operation[] {
  const random = prng(seed);
  // Rank r (0 = most read) is key rank[r]: popularity spread over organizations and datasets.
  const rank = Array.from({ length: options.keys }, (_, i) => i);
  for (let i = rank.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rank[i], rank[j]] = [rank[j]!, rank[i]!];
  }
  const weights = Array.from({ length: options.keys }, (_, i) => 1 / Math.pow(i + 1, options.s));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let sum = 0;
  for (const weight of weights) cdf.push(sum += weight / total);
  let writes = 0;
  return Array.from({ length: options.ops }, () => {
    if (random() < options.writeShare) {
      return {
        kind: "write",
        table: WRITE_TABLES[writes++ % WRITE_TABLES.length]!,
        organization: Math.floor(random() * organizations),
      };
    }
    const u = random();
    let low = 0;
    let high = cdf.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cdf[mid]! < u) low = mid + 1;
      else high = mid;
    }
    return { kind: "read", key: rank[low]! };
  });
}

export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const options = parseOptions(args);
  return await withBenchStack("zipf", (stack) => measure(stack, options), STATEMENT_STATS_STACK);
}

interface RunResult {
  readonly statements: number;
  /** Dataset queries run (`analytics.dataset_json`): computations. */
  readonly computations: number;
  readonly reads: number;
  readonly writes: number;
  readonly seconds: number;
  readonly xCache: Record<string, number>;
  readonly top: { query: string; calls: number }[];
}

async function measure(stack: LocalStack, options: Options): Promise<BenchmarkReport> {
  await enableStatementStats(stack);
  const organizationCount = Math.max(1, Math.ceil(options.keys / DATASETS.length));
  await generateProcurementData(
    stack.dbUrl,
    resolveGeneratorOptions({
      organizations: organizationCount,
      invoicesPerOrganization: options.invoicesPerOrganization,
      seed: SEED,
      workers: 1,
    }),
  );
  const organizationIds = generatedOrganizationIds(SEED, organizationCount);
  const admin = benchAdmin(stack, 2);
  const processes: FunctionProcess[] = [];
  const cached: RunResult[] = [];
  const uncached: RunResult[] = [];
  try {
    await admin`
      select cron.unschedule(jobid) from cron.job
      where command ilike '%cleanup%' and database = current_database()`;
    // Nightly datasets built once, so they have rows to serve.
    await admin`
      select analytics.rebuild_organization(id, current_date)
      from unnest(${organizationIds}::uuid[]) as id`;
    // One reader, a member of every organization.
    const [member] = await admin<{ user_id: string }[]>`
      select user_id from public.organization_members
      where organization_id = ${organizationIds[0]!} and role = 'member' limit 1`;
    const reader = member!.user_id;
    await admin`
      insert into public.organization_members (organization_id, user_id, role)
      select id, ${reader}, 'member' from unnest(${organizationIds}::uuid[]) as id
      on conflict do nothing`;
    await admin`
      insert into public.user_preferences (organization_id, user_id)
      select id, ${reader} from unnest(${organizationIds}::uuid[]) as id
      on conflict do nothing`;
    const token = await mintUserToken({ userId: reader, expiresInSeconds: 3600 });
    const targets = await admin<
      { organization: string; supplier: string; location: string; invoice: string }[]
    >`
      select o.id as organization,
        (select id from public.suppliers where organization_id = o.id order by id limit 1) as supplier,
        (select id from public.locations where organization_id = o.id order by id limit 1) as location,
        (select invoice_id from public.invoice_lines where organization_id = o.id
          order by invoice_id limit 1) as invoice
      from unnest(${organizationIds}::uuid[]) as o (id)`;
    const paths = Array.from({ length: options.keys }, (_, i) => {
      const organization = organizationIds[Math.floor(i / DATASETS.length)]!;
      return `/datasets/${DATASETS[i % DATASETS.length]}?organization_id=${organization}`;
    });
    const cachedProcess = await startFunction(
      "datasets",
      join(supabaseDir, "functions", "datasets", "index.ts"),
      functionEnv(stack),
      "datasets/zipf",
    );
    processes.push(cachedProcess);
    const uncachedProcess = await startFunction(
      "datasets",
      join(repoRoot, "bench", "support", "functions", "uncached", "index.ts"),
      functionEnv(stack),
      "uncached/zipf",
    );
    processes.push(uncachedProcess);

    const write = async (operation: Operation & { kind: "write" }) => {
      const target = targets[operation.organization]!;
      if (operation.table === "suppliers") {
        await admin`update public.suppliers set updated_at = now() where id = ${target.supplier}`;
      } else if (operation.table === "locations") {
        await admin`update public.locations set updated_at = now() where id = ${target.location}`;
      } else if (operation.table === "invoice_lines") {
        await admin`
          update public.invoice_lines set quantity = quantity
          where invoice_id = ${target.invoice} and line_number = 1`;
      } else {
        await admin`
          update public.user_preferences set updated_at = now()
          where organization_id = ${target.organization} and user_id = ${reader}`;
      }
    };
    const runOnce = async (origin: string, operations: Operation[]): Promise<RunResult> => {
      // Cold: every entry of the organizations purged, L1 of every isolate synced past it.
      await admin`
        select cache.invalidate_tags(array(select 'org:' || id from unnest(${organizationIds}::text[]) as id), 'purge')`;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      await resetStatements(admin);
      const xCache: Record<string, number> = {};
      let next = 0;
      let reads = 0;
      let writes = 0;
      const started = performance.now();
      const worker = async () => {
        while (next < operations.length) {
          const operation = operations[next++]!;
          if (operation.kind === "write") {
            writes++;
            await write(operation);
            continue;
          }
          reads++;
          const response = await fetch(origin + paths[operation.key]!, {
            headers: { Authorization: `Bearer ${token}` },
          });
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`zipf: read answered ${response.status}`);
          const x = response.headers.get("x-cache") ?? "none";
          xCache[x] = (xCache[x] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: options.workers }, worker));
      const seconds = (performance.now() - started) / 1000;
      const { total, top, matching } = await functionStatements(admin, {
        computations: "analytics.dataset_json(",
      });
      return {
        statements: total,
        computations: matching.computations!,
        reads,
        writes,
        seconds,
        xCache,
        top,
      };
    };
    for (let sample = 1; sample <= options.samples; sample++) {
      const operations = workload(options, SEED + sample, organizationCount);
      const withCache = await runOnce(cachedProcess.origin, operations);
      const without = await runOnce(uncachedProcess.origin, operations);
      if (sample === 1) {
        console.log("  statements with the cache, most frequent first:");
        for (const { query, calls } of withCache.top) console.log(`    ${calls}  ${query}`);
      }
      cached.push(withCache);
      uncached.push(without);
      console.log(
        `  sample ${sample}: cached ${withCache.statements} statements ` +
          `(${JSON.stringify(withCache.xCache)}, ${withCache.seconds.toFixed(1)} s), ` +
          `no cache ${without.statements} (${
            without.seconds.toFixed(1)
          } s), ${withCache.writes} writes`,
      );
    }
  } finally {
    for (const process of processes) await process.stop().catch(() => {});
    await admin.end({ timeout: 5 });
  }
  const figures: Figure[] = [
    {
      name: "SQL statements with the cache / without (no-cache mode)",
      unit: "x",
      samples: ratios(cached.map((r) => r.statements), uncached.map((r) => r.statements)),
      goal: GOALS.zipfStatementsVsNoCache,
    },
    { name: "statements with the cache", unit: "", samples: cached.map((r) => r.statements) },
    // The ratio is about (statements per computation × computations) / (statements per
    // read × reads). Computations move with the run's speed: L1 learns of the writes'
    // invalidations once per sync interval (1 s), so a slower run refreshes more often.
    {
      name: "computations with the cache (dataset queries)",
      unit: "",
      samples: cached.map((r) => r.computations),
    },
    {
      name: "all statements / computations, with the cache",
      unit: "",
      samples: cached.map((r) => r.statements / r.computations),
    },
    {
      name: "statements per read without",
      unit: "",
      samples: uncached.map((r) => r.statements / r.reads),
    },
    { name: "statements without", unit: "", samples: uncached.map((r) => r.statements) },
    {
      name: "hit share with the cache (HIT + STALE) / reads",
      unit: "",
      samples: cached.map((r) => ((r.xCache.HIT ?? 0) + (r.xCache.STALE ?? 0)) / r.reads),
    },
    {
      name: "duration with the cache / without",
      unit: "x",
      samples: ratios(cached.map((r) => r.seconds), uncached.map((r) => r.seconds)),
    },
  ];
  return {
    name: "zipf",
    description: `${options.ops} operations (Zipf s=${options.s} over ${options.keys} keys: ` +
      `${DATASETS.length} datasets of ${
        Math.ceil(options.keys / DATASETS.length)
      } organizations, ` +
      `${options.writeShare * 100}% writes) with the cache vs without`,
    figures,
    measurements: [],
    notes: [
      "Statements counted with pg_stat_statements (top level, the functions' role, pg_net " +
      "worker excluded); the benchmark's writes run as another role and are not counted.",
    ],
    context: { options, cached, uncached, cpus: navigator.hardwareConcurrency },
  };
}
