/**
 * Benchmark `cache-read`: cached reads of the `datasets` function under load
 * (wrk on loopback, closed loop, fixed connections and duration), for an L1 hit,
 * an L2 hit and a miss, each against baselines measured in the same run:
 *
 * - `bare`: a `Deno.serve` answering the same bytes (no auth, no cache): the
 *   L1 hit's throughput is compared with it (target ≥ 0.5×);
 * - `raw select`: `select body from cache.entries where key = $1` with the same
 *   driver and settings (`createDatabaseClient`, npm:postgres), in this process:
 *   the L2 hit's latency is compared with it (target ≤ 1.5×); also served over
 *   HTTP by a function process (`raw-select`), for a comparison at equal hops.
 *
 * Every HTTP figure is taken twice: `direct` (client → function process, 1 HTTP
 * hop) and `gateway` (client → local gateway → function process, 2 HTTP hops, the
 * gateway verifying the JWT as `verify_jwt` does); bare and raw-select run as
 * function processes too, so each comparison has equal hops.
 *
 * How tiers are forced (the data set is `supplier-data` of one generated
 * organization, `from=2000-01-01`, with `--keys` different `to` dates after
 * 2099-01-01, all covering the same invoices, so every key has the same rows):
 * - L1 hit: a datasets process with the default configuration, every key warmed;
 * - L2 hit: a second datasets process with `CACHE_L1_MAX_BYTES=1kb`, smaller
 *   than one body, so its L1 refuses every entry and each read goes to Postgres;
 *   round robin over the keys so single-flight never merges concurrent reads;
 * - miss: a `to` date of its own for every request (a new key, never cached), on
 *   the default process: L1 miss, L2 miss, lease, computation as the caller, write.
 * A probe checks the setup before the runs (the L2 row of a key deleted: the L1
 * process still answers HIT, the L2 process MISS), and wrk counts `X-Cache` of
 * every response.
 *
 * Last, `--tags` rows (tags of other organizations, as invalidations leave behind:
 * rows of cache.tag_versions are never deleted) are added and an L2 hit measured again.
 *
 * Args: --duration 3 --warmup 1 --connections 16 --keys 64 --invoices-per-org 500 --tags 10000
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
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
import {
  type BenchGateway,
  functionEnv,
  startBenchGateway,
  startFunction,
  withBenchStack,
} from "./support/bench_stack.ts";
import { type LoadResult, runQueryLoad } from "./support/query_load.ts";
import type { BenchmarkReport, Measurement } from "./support/report.ts";
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
      duration: { type: "string", default: "3" },
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
    durationSeconds: integer("duration", values.duration, 1, 30),
    warmupSeconds: integer("warmup", values.warmup, 0, 10),
    connections: integer("connections", values.connections, 1, 256),
    keys: integer("keys", values.keys, 1, 1000),
    invoicesPerOrganization: integer("invoices-per-org", values["invoices-per-org"], 10, 100_000),
    tags: integer("tags", values.tags, 0, 1_000_000),
  };
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

type Via = "direct" | "gateway";
type ScenarioId = "bare" | "l1" | "raw-select-http" | "l2" | "miss";

interface Scenario {
  readonly id: ScenarioId;
  readonly label: string;
  /** Expected `X-Cache` of every response. */
  readonly expect: "HIT" | "MISS" | "none";
  readonly target: (via: Via) => { origin: string; paths: Parameters<typeof runWrk>[0]["paths"] };
}

interface RunRecord {
  readonly scenario: ScenarioId;
  readonly via: Via;
  readonly connections: number;
  /** Rows of cache.tag_versions during the run, when the run was about that (else 0). */
  readonly tags: number;
  readonly httpHops: number;
  readonly result: WrkResult;
}

const HOPS: Record<Via, number> = { direct: 1, gateway: 2 };

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
  // --- Data: one organization and one of its members. -------------------------------------
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
  const gateways: BenchGateway[] = [];
  const workDir = await Deno.makeTempDir({ prefix: "nightshift-cache-read-" });
  try {
    const [member] = await admin<{ user_id: string }[]>`
      select user_id from public.organization_members
      where organization_id = ${organizationId} and role = 'member' limit 1`;
    const token = await mintUserToken({ userId: member!.user_id, expiresInSeconds: 3600 });
    const headers = { Authorization: `Bearer ${token}` };

    // --- Function processes and gateways. ----------------------------------------------------
    const datasetsEntry = join(supabaseDir, "functions", "datasets", "index.ts");
    const benchFunctions = join(repoRoot, "bench", "support", "functions");
    const start = async (name: string, entry: string, label: string, extra = {}) => {
      const process = await startFunction(name, entry, functionEnv(stack, extra), label);
      processes.push(process);
      return process;
    };
    const l1Process = await start("datasets", datasetsEntry, "datasets/default");
    const l2Process = await start("datasets", datasetsEntry, "datasets/l1-off", {
      CACHE_L1_MAX_BYTES: "1kb",
    });
    const selectProcess = await start(
      "raw-select",
      join(benchFunctions, "raw_select", "index.ts"),
      "raw-select",
    );
    const mainGateway = startBenchGateway(
      new Map([["datasets", l1Process], ["raw-select", selectProcess]]),
    );
    const l2Gateway = startBenchGateway(new Map([["datasets", l2Process]]));
    gateways.push(mainGateway, l2Gateway);

    // --- Warm every key into L2 (and the default process's L1). ----------------------------
    const cachedTo = Array.from({ length: options.keys }, (_, i) => addDays(CACHED_TO, i));
    const datasetPath = (to: string) =>
      `/datasets/${DATASET}?organization_id=${organizationId}&from=${FROM}&to=${to}`;
    const get = async (origin: string, path: string) => {
      const response = await fetch(origin + path, { headers });
      const text = await response.text();
      if (response.status !== 200) {
        throw new Error(`cache-read: GET ${path} answered ${response.status}: ${text}`);
      }
      return { xCache: response.headers.get("x-cache") ?? "none", text };
    };
    const bodies: string[] = [];
    for (const to of cachedTo) {
      const first = await get(l1Process.origin, datasetPath(to));
      const second = await get(l1Process.origin, datasetPath(to));
      const viaL2 = await get(l2Process.origin, datasetPath(to));
      if (first.xCache !== "MISS" || second.xCache !== "HIT" || viaL2.xCache !== "HIT") {
        throw new Error(
          `cache-read: warm-up of ${to} saw ${first.xCache}/${second.xCache}/${viaL2.xCache}, ` +
            "expected MISS/HIT/HIT",
        );
      }
      bodies.push(second.text);
    }
    const keys = cachedTo.map((to) =>
      cacheKey({ organizationId, dataset: DATASET, params: { from: FROM, to } })
    );
    const [warmed] = await admin<{ stored: number }[]>`
      select count(*)::int as stored from cache.entries where key = any(${keys})`;
    const stored = warmed?.stored;
    if (stored !== keys.length) {
      throw new Error(`cache-read: expected ${keys.length} warmed keys in L2, found ${stored}`);
    }
    const bodyBytes = new TextEncoder().encode(bodies[0]!).length;
    const bodyFile = join(workDir, "body.json");
    Deno.writeTextFileSync(bodyFile, bodies[0]!);
    const bareProcess = await start(
      "bare",
      join(benchFunctions, "bare", "index.ts"),
      "bare",
      { BENCH_BODY_FILE: bodyFile },
    );
    const bareGateway = startBenchGateway(new Map([["bare", bareProcess]]));
    gateways.push(bareGateway);

    // --- Probe: the L2 process keeps nothing in L1, the default one does. -------------------
    await admin`delete from cache.entries where key = ${keys[0]!}`;
    const probeL1 = (await get(l1Process.origin, datasetPath(cachedTo[0]!))).xCache;
    const probeL2 = (await get(l2Process.origin, datasetPath(cachedTo[0]!))).xCache;
    if (probeL1 !== "HIT" || probeL2 !== "MISS") {
      throw new Error(
        `cache-read: tier probe failed: with the L2 row deleted the default process answered ` +
          `${probeL1} (expected HIT, from L1) and the L1-off process ${probeL2} (expected MISS)`,
      );
    }

    // --- Scenarios. ----------------------------------------------------------------------------
    const prefix = (via: Via) => (via === "gateway" ? "/functions/v1" : "");
    const rotate = (paths: string[]) => ({ kind: "rotate" as const, paths });
    let missRuns = 0;
    const scenarios: Scenario[] = [
      {
        id: "bare",
        label: "bare Deno.serve",
        expect: "none",
        target: (via) => ({
          origin: via === "gateway" ? bareGateway.origin : bareProcess.origin,
          paths: rotate(cachedTo.map((_, i) => `${prefix(via)}/bare?i=${i}`)),
        }),
      },
      {
        id: "l1",
        label: "L1 hit",
        expect: "HIT",
        target: (via) => ({
          origin: via === "gateway" ? mainGateway.origin : l1Process.origin,
          paths: rotate(cachedTo.map((to) => prefix(via) + datasetPath(to))),
        }),
      },
      {
        id: "raw-select-http",
        label: "raw select over HTTP",
        expect: "none",
        target: (via) => ({
          origin: via === "gateway" ? mainGateway.origin : selectProcess.origin,
          paths: rotate(
            keys.map((key) => `${prefix(via)}/raw-select?key=${encodeURIComponent(key)}`),
          ),
        }),
      },
      {
        id: "l2",
        label: "L2 hit",
        expect: "HIT",
        target: (via) => ({
          origin: via === "gateway" ? l2Gateway.origin : l2Process.origin,
          paths: rotate(cachedTo.map((to) => prefix(via) + datasetPath(to))),
        }),
      },
      {
        id: "miss",
        label: "miss",
        expect: "MISS",
        target: (via) => ({
          origin: via === "gateway" ? mainGateway.origin : l1Process.origin,
          paths: {
            kind: "dated",
            prefix: `${prefix(via)}/datasets/${DATASET}?organization_id=${organizationId}` +
              `&from=${FROM}&to=`,
            suffix: "",
            firstDate: addDays(MISS_TO, MISS_RANGE_DAYS * missRuns++),
          },
        }),
      },
    ];

    const runs: RunRecord[] = [];
    const anomalies: string[] = [];
    const levels = [...new Set([1, options.connections])];
    const runScenario = async (scenario: Scenario, via: Via, connections: number, tags = 0) => {
      if (options.warmupSeconds > 0) {
        await runWrk({
          ...scenario.target(via),
          connections,
          durationSeconds: options.warmupSeconds,
          headers,
        });
      }
      const result = await runWrk({
        ...scenario.target(via),
        connections,
        durationSeconds: options.durationSeconds,
        headers,
      });
      const name = `${scenario.label} ${via} c=${connections}${tags ? ` (${tags} tags)` : ""}`;
      if (result.non2xx > 0 || result.socketErrors > 0) {
        anomalies.push(`${name}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`);
      }
      const expected = result.xCache[scenario.expect];
      if (expected !== result.requests) {
        anomalies.push(
          `${name}: ${result.requests - expected} of ${result.requests} responses had an ` +
            `X-Cache other than ${scenario.expect}: ${JSON.stringify(result.xCache)}`,
        );
      }
      console.log(
        `  ${name.padEnd(36)} ${result.requestsPerSecond.toFixed(0).padStart(7)} req/s  ` +
          `p50 ${result.latencyMs.p50.toFixed(2)} ms  p99 ${result.latencyMs.p99.toFixed(2)} ms`,
      );
      runs.push({ scenario: scenario.id, via, connections, tags, httpHops: HOPS[via], result });
    };

    // Cached reads first; misses last, since they add rows to cache.entries.
    for (const connections of levels) {
      for (const via of ["direct", "gateway"] as const) {
        for (const scenario of scenarios.filter((s) => s.id !== "miss")) {
          await runScenario(scenario, via, connections);
        }
      }
    }

    // --- In-process driver baselines: the raw select, and cache.read as the store calls it. ---
    const driver = createDatabaseClient(stack.dbUrl, { maxConnections: 5 });
    const store = new PostgresCacheStore(driver);
    type DriverKind = "raw-select" | "cache.read";
    const driverRuns: {
      kind: DriverKind;
      connections: number;
      tags: number;
      result: LoadResult;
    }[] = [];
    const operations: Record<DriverKind, (n: number) => Promise<void>> = {
      "raw-select": async (n) => {
        const [row] = await driver<{ body: string }[]>`
          select body from cache.entries where key = ${keys[n % keys.length]!}`;
        if (!row) throw new Error("cache-read: raw select found no row");
      },
      "cache.read": async (n) => {
        const read = await store.read(keys[n % keys.length]!, organizationId, Date.now());
        if (read?.state !== "fresh") throw new Error(`cache-read: cache.read saw ${read?.state}`);
      },
    };
    const runDriver = async (kind: DriverKind, connections: number, tags: number) => {
      const load = (durationSeconds: number) =>
        runQueryLoad({ concurrency: connections, durationSeconds, operation: operations[kind] });
      if (options.warmupSeconds > 0) await load(options.warmupSeconds);
      const result = await load(options.durationSeconds);
      const name = `driver ${kind} c=${connections}${tags ? ` (${tags} tags)` : ""}`;
      console.log(
        `  ${name.padEnd(36)} ${result.requestsPerSecond.toFixed(0).padStart(7)} q/s    ` +
          `p50 ${result.latencyMs.p50.toFixed(2)} ms  p99 ${result.latencyMs.p99.toFixed(2)} ms`,
      );
      driverRuns.push({ kind, connections, tags, result });
    };
    let tagRows = 0;
    try {
      for (const connections of levels) {
        for (const kind of ["raw-select", "cache.read"] as const) {
          await runDriver(kind, connections, 0);
        }
      }

      const missScenario = scenarios.find((s) => s.id === "miss")!;
      for (const connections of levels) {
        for (const via of ["direct", "gateway"] as const) {
          await runScenario(missScenario, via, connections);
        }
      }

      // --- An L2 hit once cache.tag_versions holds many tags (of other organizations). ------
      if (options.tags > 0) {
        await admin`
          insert into cache.tag_versions (tag, version)
          select 'org:' || gen_random_uuid() || ':dataset:' || ${DATASET}, 1
          from generate_series(1, ${options.tags}::int)`;
        await admin`analyze cache.tag_versions`;
        const [count] = await admin<{ n: number }[]>`
          select count(*)::int as n from cache.tag_versions`;
        tagRows = count?.n ?? 0;
        await runDriver("cache.read", 1, tagRows);
        await runScenario(scenarios.find((s) => s.id === "l2")!, "direct", 1, tagRows);
      }
    } finally {
      await driver.end({ timeout: 5 });
    }
    for (const anomaly of anomalies) console.warn(`  anomaly: ${anomaly}`);

    // --- Report. -----------------------------------------------------------------------------
    const c = options.connections;
    const http = (id: ScenarioId, via: Via, connections: number) =>
      runs.find((r) =>
        r.scenario === id && r.via === via && r.connections === connections && r.tags === 0
      )!.result;
    const db = (kind: "raw-select" | "cache.read", connections: number) =>
      driverRuns.find((r) => r.kind === kind && r.connections === connections && r.tags === 0)!
        .result;
    const measurements: Measurement[] = [];
    const labels: Record<ScenarioId, string> = {
      bare: "bare Deno.serve",
      l1: "L1 hit",
      "raw-select-http": "raw select (HTTP)",
      l2: "L2 hit",
      miss: "miss",
    };
    for (const via of ["direct", "gateway"] as const) {
      for (const id of ["bare", "l1", "raw-select-http", "l2", "miss"] as const) {
        const loaded = http(id, via, c);
        const single = http(id, via, 1);
        const name = `${labels[id]}, ${via} (${HOPS[via]} hop${HOPS[via] > 1 ? "s" : ""})`;
        measurements.push(
          {
            name: `${name}: c=${c} throughput`,
            value: round(loaded.requestsPerSecond),
            unit: "req/s",
          },
          { name: `${name}: c=${c} p99`, value: loaded.latencyMs.p99, unit: "ms" },
          { name: `${name}: c=1 p50`, value: single.latencyMs.p50, unit: "ms" },
          { name: `${name}: c=1 p99`, value: single.latencyMs.p99, unit: "ms" },
        );
      }
    }
    for (const kind of ["raw-select", "cache.read"] as const) {
      const loaded = db(kind, c);
      const single = db(kind, 1);
      const name = `driver ${kind} (no HTTP)`;
      measurements.push(
        { name: `${name}: c=${c} throughput`, value: round(loaded.requestsPerSecond), unit: "q/s" },
        { name: `${name}: c=1 p50`, value: round3(single.latencyMs.p50), unit: "ms" },
        { name: `${name}: c=1 p99`, value: round3(single.latencyMs.p99), unit: "ms" },
      );
    }
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    for (const via of ["direct", "gateway"] as const) {
      measurements.push({
        name: `ratio L1 hit / bare throughput, ${via} (target >= 0.5)`,
        value: ratio(http("l1", via, c).requestsPerSecond, http("bare", via, c).requestsPerSecond),
        unit: "x",
      });
    }
    for (const via of ["direct", "gateway"] as const) {
      measurements.push({
        name: `ratio L2 hit / driver raw select p50, ${via}, c=1 (target <= 1.5)`,
        value: ratio(http("l2", via, 1).latencyMs.p50, db("raw-select", 1).latencyMs.p50),
        unit: "x",
      });
    }
    for (const via of ["direct", "gateway"] as const) {
      measurements.push({
        name: `ratio L2 hit / raw select over HTTP p50, ${via}, c=1 (equal hops)`,
        value: ratio(
          http("l2", via, 1).latencyMs.p50,
          http("raw-select-http", via, 1).latencyMs.p50,
        ),
        unit: "x",
      });
    }
    measurements.push({
      name: "ratio driver cache.read / raw select p50, c=1 (the SQL part of an L2 hit)",
      value: ratio(db("cache.read", 1).latencyMs.p50, db("raw-select", 1).latencyMs.p50),
      unit: "x",
    });
    for (const via of ["direct", "gateway"] as const) {
      measurements.push({
        name: `ratio miss / L2 hit p50, ${via}, c=1`,
        value: ratio(http("miss", via, 1).latencyMs.p50, http("l2", via, 1).latencyMs.p50),
        unit: "x",
      });
    }
    if (tagRows > 0) {
      const rows = tagRows.toLocaleString("en-US");
      const driverRead = driverRuns.find((r) => r.tags > 0)!.result;
      const l2Read = runs.find((r) => r.tags > 0)!.result;
      measurements.push(
        {
          name: `driver cache.read, ${rows} rows in cache.tag_versions: c=1 p50`,
          value: round3(driverRead.latencyMs.p50),
          unit: "ms",
        },
        {
          name: `L2 hit, direct (1 hop), ${rows} rows in cache.tag_versions: c=1 p50`,
          value: l2Read.latencyMs.p50,
          unit: "ms",
        },
        {
          name: `ratio cache.read p50 with ${rows} tags / with none`,
          value: ratio(driverRead.latencyMs.p50, db("cache.read", 1).latencyMs.p50),
          unit: "x",
        },
      );
    }
    measurements.push({ name: "response body", value: bodyBytes, unit: "bytes" });

    const [server] = await admin<{ version: string }[]>`select version()`;
    return {
      name: "cache-read",
      description: `${DATASET} of one organization (${generated.invoiceLines} invoice lines, ` +
        `${bodyBytes}-byte body) under wrk on loopback: L1 hit, L2 hit and miss vs a bare ` +
        "Deno.serve and a raw primary-key select, direct (1 HTTP hop) and through the gateway (2)",
      measurements,
      context: {
        options,
        method: {
          loadGenerator: `${wrkVersion}, 1 thread, closed loop, keep-alive; warm-up ` +
            `${options.warmupSeconds}s then ${options.durationSeconds}s per run`,
          hops: "direct: client -> function process (1 HTTP hop); gateway: client -> local " +
            "gateway (local-stack/gateway.ts, verifies the JWT) -> function process (2 HTTP hops). " +
            "bare and raw-select run as function processes too. driver baselines run in the " +
            "benchmark process with createDatabaseClient (5 connections), no HTTP.",
          l1Hit: `datasets process with the default cache configuration, ${options.keys} warmed ` +
            "keys in round robin",
          l2Hit: "a second datasets process with CACHE_L1_MAX_BYTES=1kb (below the body size, so " +
            "its L1 refuses every entry: each read runs cache.read), same keys in round robin so " +
            "single-flight never merges concurrent reads",
          miss: "a new `to` date per request (a key never cached) on the default process: L1 " +
            "miss, L2 miss, lease, compute as the caller (RLS), cache.write",
          probe: { deletedKey: keys[0], defaultProcess: probeL1, l1OffProcess: probeL2 },
          manyTags: `last, ${options.tags} tags of other organizations were added to ` +
            "cache.tag_versions (rows are never deleted there) and cache.read / an L2 hit " +
            "measured again at c=1",
        },
        dataset: DATASET,
        organizationId,
        bodyBytes,
        generator: { ...generator },
        anomalies,
        runs,
        driverRuns,
        cpus: navigator.hardwareConcurrency,
        deno: Deno.version.deno,
        postgres: server?.version,
      },
    };
  } finally {
    for (const gateway of gateways) await gateway.stop().catch(() => {});
    for (const process of processes) await process.stop().catch(() => {});
    await admin.end({ timeout: 5 });
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

function round(value: number): number {
  return Math.round(value);
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
