/**
 * Benchmark `cache-read`: cached reads of the `datasets` function under load
 * (wrk on loopback, closed loop, keep-alive, 1 HTTP hop: client → function
 * process, each request with an `sb-request-id` of its own as the platform's
 * gateway adds), in `--samples` rounds; every figure is a same-round ratio, printed as
 * min / median / max with its goal (bench/goals.ts).
 *
 * Servers, each a function process of its own:
 * - `datasets` (default configuration): L1 hits, and misses (a new key each);
 * - `datasets` with `CACHE_L1_MAX_BYTES=1kb` (smaller than one body, so L1 refuses
 *   every entry): L2 hits (`cache.entry_states` by key, PostgresCacheStore.read);
 * - `bare`: a `Deno.serve` answering the same bytes, no auth (the floor);
 * - `authed-bare`: bare plus the endpoint's parsing, token, membership, key and
 *   headers (bench/support/functions/_dataset_shell.ts): the L1 hit minus the cache;
 * - `raw-select`: a raw primary-key select served over HTTP, no auth; and
 *   `authed-select`: the same select inside the endpoint's shell;
 * - `bento` (BentoCache 1.6.1 in the same shell): memory L1 with `serialize: false`,
 *   L1 only (its L1 crashes after an L2 refill: issue #111), and an untagged L2
 *   (Postgres through knex) without L1.
 * In-process driver baselines (no HTTP): a raw select and the L2 read of
 * `PostgresCacheStore` (what an L2 hit sends; `cache.read` before 20261201020100),
 * same driver settings, interleaved call by call on one connection.
 *
 * Data: `supplier-data` of one generated organization, `from=2000-01-01`, `--keys`
 * `to` dates after 2099-01-01 covering the same invoices (same rows, same bytes).
 * A probe checks the tiers (an L2 row deleted: L1 still HIT, the L1-off process
 * MISS), and wrk counts `X-Cache` of every response. Beside throughput, each
 * loaded server's CPU time per request (user + system, from /proc, over its wrk
 * run) is reported: on a shared machine it moves less than throughput does.
 *
 * Args: --samples 5 --duration 2 --warmup 1 --connections 16 --keys 64
 * --invoices-per-org 500 --tags 10000
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { processCpuTimeMs } from "../local-stack/functions/cpu_time_meter.ts";
import type { FunctionProcess } from "../local-stack/functions/function_process.ts";
import { mintUserToken } from "../local-stack/keys.ts";
import { repoRoot, supabaseDir } from "../local-stack/paths.ts";
import type { LocalStack } from "../local-stack/stack.ts";
import { cacheKey } from "../shared/cache/cache_key.ts";
import { PostgresCacheStore } from "../shared/cache/postgres_store.ts";
import { createDatabaseClient } from "../shared/db/client.ts";
import { generateProcurementData } from "../tools/generator/generate.ts";
import { generatedOrganizationIds } from "../tools/generator/ids.ts";
import { resolveGeneratorOptions } from "../tools/generator/options.ts";
import { GOALS } from "./goals.ts";
import { functionEnv, startFunction, withBenchStack } from "./support/bench_stack.ts";
import { type Figure, MIN_SAMPLES, ratios } from "./support/figures.ts";
import { runInterleavedQueries } from "./support/query_load.ts";
import type { BenchmarkReport } from "./support/report.ts";
import { ensureWrk, runWrk, type WrkResult } from "./support/wrk.ts";

const DATASET = "supplier-data";
const FROM = "2000-01-01";
/** `to` of the cached keys: this date plus 0 … keys-1 days. */
const CACHED_TO = "2099-01-01";
/** `to` of the miss requests: this date plus 1, 2, … days, a range per run. */
const MISS_TO = "2100-01-01";
const MISS_RANGE_DAYS = 100_000;
const SEED = 4242;
const AS_OF = "2026-11-20";

interface Options {
  readonly samples: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly keys: number;
  readonly invoicesPerOrganization: number;
  /** Tags of other organizations added to cache.tag_versions for the last runs (0: none). */
  readonly tags: number;
}

function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      samples: { type: "string", default: String(MIN_SAMPLES) },
      duration: { type: "string", default: "2" },
      warmup: { type: "string", default: "1" },
      connections: { type: "string", default: "16" },
      keys: { type: "string", default: "64" },
      "invoices-per-org": { type: "string", default: "500" },
      tags: { type: "string", default: "10000" },
    },
    strict: true,
  });
  const integer = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(
        `cache-read: --${name} must be a whole number from ${min} to ${max}: ${text}`,
      );
    }
    return value;
  };
  return {
    samples: integer("samples", values.samples, 1, 50),
    durationSeconds: integer("duration", values.duration, 1, 30),
    warmupSeconds: integer("warmup", values.warmup, 0, 10),
    connections: integer("connections", values.connections, 1, 256),
    keys: integer("keys", values.keys, 1, 1000),
    invoicesPerOrganization: integer("invoices-per-org", values["invoices-per-org"], 10, 100_000),
    tags: integer("tags", values.tags, 0, 1_000_000),
  };
}

/** CPU time (user + system) a process has used so far, in microseconds (the gateway's /proc reader). */
function processCpuMicros(pid: number): number {
  const ms = processCpuTimeMs(pid);
  if (ms === undefined) throw new Error(`cache-read: no CPU time for process ${pid} (/proc)`);
  return ms * 1000;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

type HttpId =
  | "bare"
  | "authed-bare"
  | "l1"
  | "bento-l1"
  | "raw-select"
  | "authed-select"
  | "l2"
  | "bento-l2"
  | "miss";

export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const options = parseOptions(args);
  const wrkVersion = await ensureWrk();
  return await withBenchStack("cache-read", (stack) => measure(stack, options, wrkVersion));
}

async function measure(
  stack: LocalStack,
  options: Options,
  wrkVersion: string,
): Promise<BenchmarkReport> {
  const generator = resolveGeneratorOptions({
    organizations: 1,
    invoicesPerOrganization: options.invoicesPerOrganization,
    seed: SEED,
    endDate: AS_OF,
    workers: 1,
  });
  const generated = await generateProcurementData(stack.dbUrl, generator);
  const organizationId = generatedOrganizationIds(SEED, 1)[0]!;
  const admin = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  const processes: FunctionProcess[] = [];
  const workDir = await Deno.makeTempDir({ prefix: "nightshift-cache-read-" });
  const driver = createDatabaseClient(stack.dbUrl, { maxConnections: 5 });
  try {
    const [member] = await admin<{ user_id: string }[]>`
      select user_id from public.organization_members
      where organization_id = ${organizationId} and role = 'member' limit 1`;
    const token = await mintUserToken({ userId: member!.user_id, expiresInSeconds: 3600 });
    const headers = { Authorization: `Bearer ${token}` };

    const datasetsEntry = join(supabaseDir, "functions", "datasets", "index.ts");
    const benchFunction = (name: string) =>
      join(repoRoot, "bench", "support", "functions", name, "index.ts");
    const start = async (name: string, entry: string, label: string, extra = {}) => {
      const process = await startFunction(name, entry, functionEnv(stack, extra), label);
      processes.push(process);
      return process;
    };
    const cachedTo = Array.from({ length: options.keys }, (_, i) => addDays(CACHED_TO, i));
    const datasetPath = (to: string) =>
      `/datasets/${DATASET}?organization_id=${organizationId}&from=${FROM}&to=${to}`;
    const keys = cachedTo.map((to) =>
      cacheKey({ organizationId, dataset: DATASET, params: { from: FROM, to } })
    );

    const l1 = await start("datasets", datasetsEntry, "datasets/default");
    const l2 = await start("datasets", datasetsEntry, "datasets/l1-off", {
      CACHE_L1_MAX_BYTES: "1kb",
    });
    const bentoL1 = await start("datasets", benchFunction("bento"), "bento/l1", {
      BENCH_BENTO_MODE: "l1",
    });
    const bentoL2 = await start("datasets", benchFunction("bento"), "bento/l2", {
      BENCH_BENTO_MODE: "l2",
    });
    const rawSelect = await start("raw-select", benchFunction("raw_select"), "raw-select");
    const authedSelect = await start("datasets", benchFunction("authed_select"), "authed-select");

    // --- Warm every key: datasets L1 and L2, both BentoCache stores. --------------------------
    const get = async (origin: string, path: string) => {
      const response = await fetch(origin + path, { headers });
      const text = await response.text();
      if (response.status !== 200) {
        throw new Error(`cache-read: GET ${origin}${path} answered ${response.status}: ${text}`);
      }
      return { xCache: response.headers.get("x-cache") ?? "none", text };
    };
    const bodies: string[] = [];
    for (const to of cachedTo) {
      const path = datasetPath(to);
      const seen = [
        (await get(l1.origin, path)).xCache,
        (await get(l1.origin, path)).xCache,
        (await get(l2.origin, path)).xCache,
        (await get(bentoL1.origin, path)).xCache,
        (await get(bentoL1.origin, path)).xCache,
        (await get(bentoL2.origin, path)).xCache,
        (await get(bentoL2.origin, path)).xCache,
      ].join("/");
      if (seen !== "MISS/HIT/HIT/MISS/HIT/MISS/HIT") {
        throw new Error(
          `cache-read: warm-up of ${to} saw ${seen}, expected MISS/HIT/HIT/MISS/HIT/MISS/HIT`,
        );
      }
      bodies.push((await get(l1.origin, path)).text);
    }
    const [warmed] = await admin<{ stored: number }[]>`
      select count(*)::int as stored from cache.entries where key = any(${keys})`;
    if (warmed?.stored !== keys.length) {
      throw new Error(
        `cache-read: expected ${keys.length} warmed keys in L2, found ${warmed?.stored}`,
      );
    }
    const bodyBytes = new TextEncoder().encode(bodies[0]!).length;
    const bodyFile = join(workDir, "body.json");
    Deno.writeTextFileSync(bodyFile, bodies[0]!);
    const bare = await start("bare", benchFunction("bare"), "bare", { BENCH_BODY_FILE: bodyFile });
    const authedBare = await start("datasets", benchFunction("authed_bare"), "authed-bare", {
      BENCH_BODY_FILE: bodyFile,
    });

    // --- Probe: the L1-off process keeps nothing in L1, the default one does. ---------------
    const probeKey = keys[0]!;
    const [saved] = await admin`select * from cache.entries where key = ${probeKey}`;
    await admin`delete from cache.entries where key = ${probeKey}`;
    const probeL1 = (await get(l1.origin, datasetPath(cachedTo[0]!))).xCache;
    const probeL2 = (await get(l2.origin, datasetPath(cachedTo[0]!))).xCache;
    if (probeL1 !== "HIT" || probeL2 !== "MISS") {
      throw new Error(
        `cache-read: tier probe failed: with the L2 row deleted the default process answered ` +
          `${probeL1} (expected HIT, from L1) and the L1-off process ${probeL2} (expected MISS)`,
      );
    }
    void saved;

    // --- Scenarios. -------------------------------------------------------------------------
    const rotate = (paths: string[]) => ({ kind: "rotate" as const, paths });
    const datasetPaths = rotate(cachedTo.map(datasetPath));
    let missRuns = 0;
    const targets: Record<HttpId, () => Parameters<typeof runWrk>[0]["paths"]> = {
      bare: () => rotate(cachedTo.map((_, i) => `/bare?i=${i}`)),
      "authed-bare": () => datasetPaths,
      l1: () => datasetPaths,
      "bento-l1": () => datasetPaths,
      "raw-select": () => rotate(keys.map((key) => `/raw-select?key=${encodeURIComponent(key)}`)),
      "authed-select": () => datasetPaths,
      l2: () => datasetPaths,
      "bento-l2": () => datasetPaths,
      miss: () => ({
        kind: "dated",
        prefix: `/datasets/${DATASET}?organization_id=${organizationId}&from=${FROM}&to=`,
        suffix: "",
        firstDate: addDays(MISS_TO, MISS_RANGE_DAYS * missRuns++),
      }),
    };
    const origins: Record<HttpId, string> = {
      bare: bare.origin,
      "authed-bare": authedBare.origin,
      l1: l1.origin,
      "bento-l1": bentoL1.origin,
      "raw-select": rawSelect.origin,
      "authed-select": authedSelect.origin,
      l2: l2.origin,
      "bento-l2": bentoL2.origin,
      miss: l1.origin,
    };
    const expected: Record<HttpId, "HIT" | "MISS" | "none"> = {
      bare: "none",
      "authed-bare": "HIT",
      l1: "HIT",
      "bento-l1": "HIT",
      "raw-select": "none",
      "authed-select": "HIT",
      l2: "HIT",
      "bento-l2": "HIT",
      miss: "MISS",
    };
    const loaded = ["bare", "authed-bare", "l1", "bento-l1"] as const;
    const single: HttpId[] = ["raw-select", "authed-select", "l2", "bento-l2"];
    // The function's own CPU per request under load: steadier than throughput on a
    // shared machine, where the load generator and other work take the same cores.
    const loadedProcesses: Record<(typeof loaded)[number], FunctionProcess> = {
      bare,
      "authed-bare": authedBare,
      l1,
      "bento-l1": bentoL1,
    };
    const cpuPerRequest = new Map<string, number[]>();
    const anomalies: string[] = [];
    const results = new Map<string, WrkResult[]>();
    const record = (name: string, result: WrkResult) =>
      results.set(name, [...(results.get(name) ?? []), result]);
    const runHttp = async (id: HttpId, connections: number, durationSeconds: number) => {
      const result = await runWrk({
        origin: origins[id],
        paths: targets[id](),
        connections,
        durationSeconds,
        headers,
        // As hosted Supabase's gateway sends one with every request (to every server).
        requestIds: true,
      });
      if (result.non2xx > 0 || result.socketErrors > 0) {
        anomalies.push(
          `${id} c=${connections}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`,
        );
      }
      if (result.xCache[expected[id]] !== result.requests) {
        anomalies.push(
          `${id} c=${connections}: ${result.requests - result.xCache[expected[id]]} of ` +
            `${result.requests} responses had an X-Cache other than ${expected[id]}: ` +
            JSON.stringify(result.xCache),
        );
      }
      return result;
    };

    const store = new PostgresCacheStore(driver);
    const driverOps = {
      "raw-select": async (n: number) => {
        const [row] = await driver<{ body: string }[]>`
          select body from cache.entries where key = ${keys[1 + (n % (keys.length - 1))]!}`;
        if (!row) throw new Error("cache-read: raw select found no row");
      },
      "l2-read": async (n: number) => {
        const read = await store.read(
          keys[1 + (n % (keys.length - 1))]!,
          organizationId,
          Date.now(),
        );
        if (read?.state !== "fresh") throw new Error(`cache-read: the L2 read saw ${read?.state}`);
      },
    };
    const driverP50 = new Map<string, number[]>();
    // Both statements interleaved call by call on one connection, for as long as the
    // two blocks took before: machine load falls on both alike.
    const runDriver = async (suffix: string, seconds: number) => {
      const result = await runInterleavedQueries(driverOps, seconds);
      for (const [kind, latency] of Object.entries(result)) {
        const label = kind + suffix;
        driverP50.set(label, [...(driverP50.get(label) ?? []), latency.p50]);
      }
      return result;
    };

    if (options.warmupSeconds > 0) {
      for (const id of loaded) await runHttp(id, options.connections, options.warmupSeconds);
      for (const id of single) await runHttp(id, 1, options.warmupSeconds);
    }
    const c = options.connections;
    for (let round = 1; round <= options.samples; round++) {
      const line: string[] = [];
      for (const id of loaded) {
        const pid = loadedProcesses[id].pid!;
        const cpuBefore = processCpuMicros(pid);
        const result = await runHttp(id, c, options.durationSeconds);
        const cpu = (processCpuMicros(pid) - cpuBefore) / result.requests;
        cpuPerRequest.set(id, [...(cpuPerRequest.get(id) ?? []), cpu]);
        record(`${id} c=${c}`, result);
        line.push(`${id} ${result.requestsPerSecond.toFixed(0)}/s ${cpu.toFixed(1)}µs`);
      }
      for (const id of single) {
        const result = await runHttp(id, 1, options.durationSeconds);
        record(`${id} c=1`, result);
        line.push(`${id} p50 ${result.latencyMs.p50.toFixed(3)}ms`);
      }
      const driver = await runDriver("", 2 * options.durationSeconds);
      for (const [kind, latency] of Object.entries(driver)) {
        line.push(`driver ${kind} p50 ${latency.p50.toFixed(3)}ms`);
      }
      const miss = await runHttp("miss", 1, 1);
      record("miss c=1", miss);
      line.push(`miss p50 ${miss.latencyMs.p50.toFixed(1)}ms`);
      console.log(`  round ${round}: ${line.join(", ")}`);
    }

    // --- the L2 read once cache.tag_versions holds many tags (of other organizations). -----
    let tagRows = 0;
    if (options.tags > 0) {
      await admin`
        insert into cache.tag_versions (tag, version)
        select 'org:' || gen_random_uuid() || ':dataset:' || ${DATASET}, 1
        from generate_series(1, ${options.tags}::int)`;
      await admin`analyze cache.tag_versions`;
      const [count] = await admin<
        { n: number }[]
      >`select count(*)::int as n from cache.tag_versions`;
      tagRows = count?.n ?? 0;
      for (let round = 1; round <= options.samples; round++) {
        await runDriver(" (many tags)", 2 * options.durationSeconds);
      }
    }
    for (const anomaly of anomalies) console.warn(`  anomaly: ${anomaly}`);

    // --- Figures. -----------------------------------------------------------------------------
    const rps = (name: string) => results.get(name)!.map((r) => r.requestsPerSecond);
    const p50 = (name: string) => results.get(name)!.map((r) => r.latencyMs.p50);
    const figures: Figure[] = [
      {
        name: `L1 hit / bare Deno.serve, throughput c=${c}`,
        unit: "x",
        samples: ratios(rps(`l1 c=${c}`), rps(`bare c=${c}`)),
        goal: GOALS.l1VsBare,
      },
      {
        name: `bare / L1 hit, function CPU per request c=${c} (steadier than throughput)`,
        unit: "x",
        samples: ratios(cpuPerRequest.get("bare")!, cpuPerRequest.get("l1")!),
      },
      {
        name: `L1 hit / bare + auth & membership (same shell), throughput c=${c}`,
        unit: "x",
        samples: ratios(rps(`l1 c=${c}`), rps(`authed-bare c=${c}`)),
      },
      {
        name: `L1 hit / BentoCache L1 (serialize: false), throughput c=${c}`,
        unit: "x",
        samples: ratios(rps(`l1 c=${c}`), rps(`bento-l1 c=${c}`)),
        goal: GOALS.l1VsBento,
        note:
          "BentoCache measured L1-only: its serialize:false L1 crashes after an L2 refill (#111)",
      },
      {
        name: `BentoCache L1 / L1 hit, function CPU per request c=${c} (steadier than throughput)`,
        unit: "x",
        samples: ratios(cpuPerRequest.get("bento-l1")!, cpuPerRequest.get("l1")!),
        goal: GOALS.l1VsBento,
      },
      {
        name: "L2 hit / raw select over HTTP (same hop), p50 c=1",
        unit: "x",
        samples: ratios(p50("l2 c=1"), p50("raw-select c=1")),
        goal: GOALS.l2VsRawSelect,
      },
      {
        name: "L2 hit / raw select + auth & membership (same shell), p50 c=1",
        unit: "x",
        samples: ratios(p50("l2 c=1"), p50("authed-select c=1")),
      },
      {
        name: "L2 hit / BentoCache untagged L2 (knex), p50 c=1",
        unit: "x",
        samples: ratios(p50("l2 c=1"), p50("bento-l2 c=1")),
        goal: GOALS.l2VsBento,
        note: "BentoCache's L2 read checks no tags",
      },
      {
        name: "L2 read (store.read) / raw primary-key select, driver p50 c=1 (SQL only)",
        unit: "x",
        samples: ratios(driverP50.get("l2-read")!, driverP50.get("raw-select")!),
        goal: GOALS.cacheReadVsSelect,
      },
      ...(tagRows > 0
        ? [{
          name: `L2 read / raw select with ${tagRows.toLocaleString("en-US")} tag rows, p50 c=1`,
          unit: "x",
          samples: ratios(
            driverP50.get("l2-read (many tags)")!,
            driverP50.get("raw-select (many tags)")!,
          ),
        }]
        : []),
      {
        name: "miss / L2 hit, p50 c=1",
        unit: "x",
        samples: ratios(p50("miss c=1"), p50("l2 c=1")),
      },
      ...loaded.map((id) => ({
        name: `${id}: throughput c=${c}`,
        unit: "req/s",
        samples: rps(`${id} c=${c}`),
      })),
      ...loaded.map((id) => ({
        name: `${id}: function CPU per request c=${c}`,
        unit: "µs",
        samples: cpuPerRequest.get(id)!,
      })),
      ...single.map((id) => ({ name: `${id}: p50 c=1`, unit: "ms", samples: p50(`${id} c=1`) })),
      { name: "miss: p50 c=1", unit: "ms", samples: p50("miss c=1") },
      { name: "driver raw select: p50 c=1", unit: "ms", samples: driverP50.get("raw-select")! },
      { name: "driver L2 read: p50 c=1", unit: "ms", samples: driverP50.get("l2-read")! },
    ];

    const [server] = await admin<{ version: string }[]>`select version()`;
    return {
      name: "cache-read",
      description: `${DATASET} of one organization (${generated.invoiceLines} invoice lines, ` +
        `${bodyBytes}-byte body) under wrk on loopback, 1 HTTP hop: L1 hit, L2 hit and miss vs ` +
        "bare, auth-only and raw-select baselines and BentoCache 1.6.1 in the same shell",
      figures,
      measurements: [{ name: "response body", value: bodyBytes, unit: "bytes" }],
      notes: [
        "BentoCache L1 (memoryDriver serialize:false) runs without an L2: with one it crashes on " +
        "a read after a refill from L2 (BentoCache issue #111).",
        "BentoCache L2 (knexDriver, Postgres, pool 5) runs without an L1 and without tags.",
        ...anomalies.map((anomaly) => `anomaly: ${anomaly}`),
      ],
      context: {
        options,
        method: {
          loadGenerator: `${wrkVersion}, 1 thread, closed loop, keep-alive; warm-up ` +
            `${options.warmupSeconds}s per server, then ${options.samples} rounds of ` +
            `${options.durationSeconds}s per server; ratios pair runs of the same round`,
          probe: { deletedKey: probeKey, defaultProcess: probeL1, l1OffProcess: probeL2 },
        },
        dataset: DATASET,
        organizationId,
        bodyBytes,
        generator: { ...generator },
        tagRows,
        runs: Object.fromEntries(results),
        driverP50: Object.fromEntries(driverP50),
        cpuMicrosPerRequest: Object.fromEntries(cpuPerRequest),
        cpus: navigator.hardwareConcurrency,
        deno: Deno.version.deno,
        postgres: server?.version,
      },
    };
  } finally {
    for (const process of processes) await process.stop().catch(() => {});
    await driver.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}
