/**
 * Benchmark `nightly`: the nightly refresh on 200 organizations / 400,000
 * invoice lines (`--orgs 1000`: the 2,000,000-line reference), against baselines measured in the same run, `--samples` times
 * each (interleaved, so a ratio pairs runs of the same round):
 *
 *   (a) one global `REFRESH MATERIALIZED VIEW` (plain: the goals' denominator)
 *       and `… CONCURRENTLY` of the five datasets as set-based views
 *       (bench/support/baseline_views.ts), rows checked identical to the
 *       nightly run's;
 *   (b) the seed plan's loop: for each organization, refresh every view
 *       (each refresh recomputes all organizations), run for at most
 *       `--loop-cap-seconds` and extrapolated to every organization.
 *
 * Runs measured, each for a night of its own: a full run (every organization
 * marked changed, so every one is rebuilt) and an incremental one with 5% of
 * the organizations changed (the others were rebuilt less than MIN_AGE ago and
 * are unchanged, so skipped). Both call the orchestrator exactly as the
 * function does (`runTick`, default settings), one invocation after another
 * until the run is settled, as chained invocations would.
 *
 * Last, read latency during a full run: L2 hits of the `datasets` function
 * (a process whose L1 holds nothing, so every read is an L2 read of `cache.entry_states`), wrk at
 * 1 connection in 1-second windows. The run is worked by 2-second invocations;
 * before each, an idle window, and one more while it works (see
 * `readsDuringRun`): each sample is a window's p95 / the p95 of the idle window
 * just before it, judged only when the idle windows agree within 2x. The same
 * again with one lane (NIGHTLY_CONCURRENCY=1, no goal): what leaving a core to
 * readers buys, against a longer run.
 *
 * Flags: the generator's (`--orgs`, `--invoices-per-org`, ...) plus
 * `--samples N` (5), `--loop-cap-seconds S` (20) and `--concurrency N`
 * (default: NIGHTLY_CONCURRENCY's).
 */
import postgres, { type Sql } from "postgres";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mintUserToken } from "../local-stack/keys.ts";
import { supabaseDir } from "../local-stack/paths.ts";
import { runTick, type TickReport } from "../shared/nightly/invocation.ts";
import { readNightlySettings } from "../shared/nightly/settings.ts";
import { generateProcurementData } from "../tools/generator/generate.ts";
import { parseGeneratorArgs } from "../tools/generator/options.ts";
import { BASELINE_VIEWS, CREATE_BASELINE_SQL } from "./support/baseline_views.ts";
import { GOALS } from "./goals.ts";
import { functionEnv, startFunction, withBenchStack } from "./support/bench_stack.ts";
import { type Figure, median, MIN_SAMPLES, ratios } from "./support/figures.ts";
import { runWrk, type WrkResult } from "./support/wrk.ts";
import { REFERENCE_GENERATOR_ARGS } from "./support/reference_dataset.ts";
import type { BenchmarkReport, Measurement } from "./support/report.ts";

/**
 * 200 organizations of the reference shape (200,000 lines): the ratios are per
 * organization and hold at the reference size (`--orgs 1000` for 2,000,000
 * lines), which takes minutes per round on a shared machine.
 */
const DEFAULT_GENERATOR_ARGS = [
  ...REFERENCE_GENERATOR_ARGS,
  "--orgs",
  "200",
];
const DIRTY_SHARE = 0.05;
const DAY = 86_400_000;

/** Seconds elapsed while `work` runs. */
async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
}

/** How `nightlyRun` calls each invocation (default: one after another, default budget). */
interface RunOptions {
  /** NIGHTLY_TIME_BUDGET of each invocation (ms). */
  readonly timeBudgetMs?: number;
  /** Wraps each invocation: must call `start` once and return its report. */
  readonly aroundTick?: (start: () => Promise<TickReport>) => Promise<TickReport>;
}

/** Calls the orchestrator until the run it enqueues (at `now`) is settled. */
async function nightlyRun(
  sql: Sql,
  now: number,
  concurrency: number | undefined,
  options: RunOptions = {},
) {
  const settings = {
    ...readNightlySettings((name) =>
      name === "NIGHTLY_CRON_SECRET" ? "benchmark-cron-secret-0123456789abcdef" : undefined
    ),
    NIGHTLY_CHAIN_INVOCATIONS: false,
    ...(concurrency ? { NIGHTLY_CONCURRENCY: concurrency } : {}),
    ...(options.timeBudgetMs ? { NIGHTLY_TIME_BUDGET: options.timeBudgetMs } : {}),
  };
  const reports: TickReport[] = [];
  const { seconds } = await timed(async () => {
    for (;;) {
      const start = () => runTick({ sql, settings, clock: { now: () => now } });
      const report = await (options.aroundTick ? options.aroundTick(start) : start());
      reports.push(report);
      const runId = reports[0]!.enqueued?.run_id;
      if (!runId) throw new Error("The benchmark's tick found no organization due");
      const [run] = await sql<
        { status: string }[]
      >`select status from nightly.runs where id = ${runId}`;
      if (run!.status !== "running") return;
      if (report.stopped_because === "high_load") throw new Error("Deferred for high load");
    }
  });
  const runId = reports[0]!.enqueued!.run_id;
  const [run] = await sql<
    { status: string; job_count: number; refreshed: number; skipped: number; failed: number }[]
  >`
    select status, job_count, refreshed_count as refreshed, skipped_count as skipped,
      failed_count as failed
    from nightly.runs where id = ${runId}`;
  return { seconds, invocations: reports.length, run: run!, settings };
}

/** REFRESH MATERIALIZED VIEW [CONCURRENTLY] of every baseline view, in seconds. */
async function refreshAllViews(sql: Sql, concurrently = true): Promise<number> {
  const { seconds } = await timed(async () => {
    for (const view of BASELINE_VIEWS) {
      await sql.unsafe(
        `refresh materialized view ${concurrently ? "concurrently " : ""}bench_baseline.${view}`,
      );
    }
  });
  return seconds;
}

/** Rows that differ between the nightly datasets and the baseline views (0 when identical). */
async function differences(sql: Sql): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const view of BASELINE_VIEWS) {
    const [row] = await sql.unsafe<{ missing: number; extra: number }[]>(`
      select
        (select count(*)::int from (select * from analytics.${view}
          except all select * from bench_baseline.${view}) as d) as missing,
        (select count(*)::int from (select * from bench_baseline.${view}
          except all select * from analytics.${view}) as d) as extra`);
    counts[view] = row!.missing + row!.extra;
  }
  return counts;
}

/** Marks organizations changed now: all of them, or the first `limit` by id. */
async function markChanged(sql: Sql, limit?: number): Promise<void> {
  await sql`
    update analytics.organization_state set last_changed_at = clock_timestamp()
    where organization_id in (
      select organization_id from bench_baseline.as_of order by organization_id
      limit ${limit ?? null})`;
}

/** Runs the benchmark; later flags override the defaults. */
export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const ownFlags = ["--loop-cap-seconds", "--concurrency", "--samples"];
  const own = parseArgs({
    args: [...args],
    options: {
      "loop-cap-seconds": { type: "string" },
      concurrency: { type: "string" },
      samples: { type: "string" },
    },
    strict: false,
    allowPositionals: true,
  });
  const loopCapSeconds = Number(own.values["loop-cap-seconds"] ?? 20);
  const concurrency = own.values.concurrency ? Number(own.values.concurrency) : undefined;
  const samples = Number(own.values.samples ?? MIN_SAMPLES);
  const generatorArgs = args.filter((arg, index) =>
    !ownFlags.includes(arg) && !ownFlags.includes(args[index - 1] ?? "")
  );
  const { options } = parseGeneratorArgs([...DEFAULT_GENERATOR_ARGS, ...generatorArgs]);

  return await withBenchStack("nightly", async (stack) => {
    console.log(`Loading ${options.organizations} organizations...`);
    const loaded = await generateProcurementData(stack.dbUrl, options);
    const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });
    try {
      await sql`analyze`;
      // Nights in the past, one per run, in order; the first full run's night is checked
      // against the baseline views.
      let night = Date.now() - (2 * samples + 4) * DAY;
      const nextNight = () => (night += DAY);
      const firstNight = night + DAY;

      console.log("Materializing the baseline views...");
      await sql.unsafe(CREATE_BASELINE_SQL).simple();
      await sql`
        insert into bench_baseline.as_of (organization_id, as_of, window_start)
        select id, nightly.due_local_date(time_zone, ${new Date(firstNight)}, '02:00'),
          private.reporting_window_start(
            nightly.due_local_date(time_zone, ${new Date(firstNight)}, '02:00'))
        from public.organizations where status = 'active'`;
      const [{ count: activeOrganizations }] = await sql<[{ count: number }]>`
        select count(*)::int as count from bench_baseline.as_of`;
      const initial = await timed(async () => {
        for (const view of BASELINE_VIEWS) {
          await sql.unsafe(`refresh materialized view bench_baseline.${view}`);
        }
      });
      const dirty = Math.round(activeOrganizations * DIRTY_SHARE);
      const plain: number[] = [];
      const concurrent: number[] = [];
      const full: number[] = [];
      const incremental: number[] = [];
      let mismatches: Record<string, number> = {};
      let fullRun: Awaited<ReturnType<typeof nightlyRun>> | undefined;
      let incrementalRun: Awaited<ReturnType<typeof nightlyRun>> | undefined;
      for (let round = 1; round <= samples; round++) {
        plain.push(await refreshAllViews(sql, false));
        concurrent.push(await refreshAllViews(sql, true));
        await markChanged(sql);
        fullRun = await nightlyRun(sql, nextNight(), concurrency);
        full.push(fullRun.seconds);
        if (round === 1) mismatches = await differences(sql);
        await markChanged(sql, dirty);
        incrementalRun = await nightlyRun(sql, nextNight(), concurrency);
        incremental.push(incrementalRun.seconds);
        console.log(
          `  round ${round}: REFRESH ${plain.at(-1)!.toFixed(2)} s, CONCURRENTLY ` +
            `${concurrent.at(-1)!.toFixed(2)} s, full run ${full.at(-1)!.toFixed(2)} s ` +
            `(${fullRun.run.refreshed} refreshed), incremental ${
              incremental.at(-1)!.toFixed(2)
            } s ` +
            `(${incrementalRun.run.refreshed} refreshed, ${incrementalRun.run.skipped} skipped)`,
        );
      }

      console.log("Read latency (L2 hits): idle and during-run windows, interleaved...");
      const reads = await readsDuringRun(stack, sql, () => nextNight(), concurrency, samples);
      // The trade-off behind the read goal: the same measurement with one lane, which
      // leaves a core to readers and takes longer (its run times are printed beside).
      const runConcurrency = fullRun!.settings.NIGHTLY_CONCURRENCY;
      const oneLane = runConcurrency > 1
        ? await readsDuringRun(stack, sql, () => nextNight(), 1, samples)
        : undefined;

      console.log(`(b) the seed plan's per-organization loop, capped at ${loopCapSeconds} s...`);
      let iterations = 0;
      const loop = await timed(async () => {
        const started = performance.now();
        while (iterations < activeOrganizations) {
          await refreshAllViews(sql);
          iterations++;
          if ((performance.now() - started) / 1000 >= loopCapSeconds) break;
        }
      });
      const loopExtrapolated = (loop.seconds / iterations) * activeOrganizations;

      const figures: Figure[] = [
        {
          name: "full run / plain REFRESH MATERIALIZED VIEW",
          unit: "x",
          samples: ratios(full, plain),
          goal: GOALS.nightlyFullVsRefresh,
        },
        {
          name: `incremental run (${DIRTY_SHARE * 100}% changed) / plain REFRESH`,
          unit: "x",
          samples: ratios(incremental, plain),
          goal: GOALS.nightlyIncrementalVsRefresh,
        },
        {
          name: "full run / REFRESH ... CONCURRENTLY",
          unit: "x",
          samples: ratios(full, concurrent),
        },
        {
          name: "incremental run / REFRESH ... CONCURRENTLY",
          unit: "x",
          samples: ratios(incremental, concurrent),
        },
        readFigure(
          "read p95 during a full run / idle (L2 hits, c=1)",
          reads,
          GOALS.readP95DuringNightly,
          "each sample a 1 s window inside an invocation / the idle 1 s window just before it",
        ),
        ...(oneLane
          ? [readFigure(
            "read p95 during a full run / idle, NIGHTLY_CONCURRENCY=1",
            oneLane,
            undefined,
            `no goal: a run's invocations worked ${
              median(oneLane.runSeconds).toFixed(1)
            } s (median) against ${
              median(reads.runSeconds).toFixed(1)
            } s with ${runConcurrency} lanes`,
          )]
          : []),
        { name: "plain REFRESH, 5 views", unit: "s", samples: plain },
        { name: "REFRESH ... CONCURRENTLY, 5 views", unit: "s", samples: concurrent },
        { name: "full run", unit: "s", samples: full },
        { name: "incremental run", unit: "s", samples: incremental },
        {
          name: "read p95 idle",
          unit: "ms",
          samples: [...new Set(reads.pairs.map((pair) => pair.idle))].map((r) => r.latencyMs.p95),
        },
        {
          name: "read p95 during a full run",
          unit: "ms",
          samples: reads.pairs.map((pair) => pair.during.latencyMs.p95),
        },
      ];
      const measurements: Measurement[] = [
        { name: "invoice lines", value: loaded.invoiceLines, unit: "rows" },
        { name: "active organizations", value: activeOrganizations, unit: "orgs" },
        { name: "baseline views: first materialization", value: initial.seconds, unit: "s" },
        { name: "full run: invocations", value: fullRun!.invocations, unit: "" },
        { name: "full run: refreshed", value: fullRun!.run.refreshed, unit: "orgs" },
        { name: "incremental run: refreshed", value: incrementalRun!.run.refreshed, unit: "orgs" },
        {
          name: "incremental run: skipped (unchanged)",
          value: incrementalRun!.run.skipped,
          unit: "orgs",
        },
        {
          name: `(b) seed-plan loop: extrapolated from ${iterations} iterations`,
          value: loopExtrapolated,
          unit: "s",
        },
        {
          name: "(b) / median full run (speed-up)",
          value: loopExtrapolated / median(full),
          unit: "x",
        },
        {
          name: "rows differing from the baseline views",
          value: Object.values(mismatches).reduce((sum, n) => sum + n, 0),
          unit: "rows",
        },
      ];
      return {
        name: "nightly",
        description: `nightly refresh of ${activeOrganizations} organizations / ` +
          `${loaded.invoiceLines} lines vs (a) a global REFRESH MATERIALIZED VIEW (plain and ` +
          "CONCURRENTLY) and (b) the seed plan's per-organization loop",
        figures,
        measurements,
        notes: [
          `read latency: ${reads.pairs.length} 1 s windows inside the ${
            READ_TICK_BUDGET_MS / 1000
          } s ` +
          `invocations of ${reads.runSeconds.length} full runs (${
            reads.runSeconds.map((s) => s.toFixed(1)).join(", ")
          } s of invocations), each against the idle 1 s window just before its invocation; ` +
          `${reads.dropped} windows outlived their invocation and were ` +
          `dropped; ${
            Math.round(median(reads.pairs.map((pair) => pair.during.requests)))
          } requests per window (median)`,
        ],
        context: {
          options,
          loopCapSeconds,
          concurrency: fullRun!.settings.NIGHTLY_CONCURRENCY,
          timeBudgetMs: fullRun!.settings.NIGHTLY_TIME_BUDGET,
          fullRun: fullRun!.run,
          incrementalRun: incrementalRun!.run,
          mismatches,
          reads,
          oneLane,
          cpus: navigator.hardwareConcurrency,
          deno: Deno.version.deno,
        },
      };
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
}

/** One read window inside an invocation, paired with the idle window just before it. */
export interface ReadPair {
  readonly round: number;
  readonly idle: WrkResult;
  readonly during: WrkResult;
}

/** Invocations of the read measurement's runs work this long (ms), then the next one starts. */
const READ_TICK_BUDGET_MS = 2_000;

/**
 * Read latency while idle and while a full run works, interleaved at the scale
 * of one invocation so that the shared machine's drift moves both sides alike:
 * the run is worked by invocations of a 2-second budget, one after another as
 * chained invocations would; before each, a 1-second wrk window (1 connection,
 * L2 hits of a `datasets` process whose L1 holds nothing, so every read is an L2
 * read of `cache.entry_states`) measures idle, and a second one starts with the invocation.
 * A window that outlives its invocation is dropped and counted. Runs `rounds`
 * full runs, and more (at most 3 x) until `rounds` pairs are measured;
 * `runSeconds` is each run's time spent in invocations (idle windows excluded).
 */
async function readsDuringRun(
  stack: Parameters<Parameters<typeof withBenchStack>[1]>[0],
  sql: Sql,
  nextNight: () => number,
  concurrency: number | undefined,
  rounds: number,
): Promise<{ pairs: ReadPair[]; dropped: number; runSeconds: number[] }> {
  const [target] = await sql<{ organization_id: string; user_id: string }[]>`
    select organization_id, user_id from public.organization_members
    where role = 'member' order by organization_id limit 1`;
  const token = await mintUserToken({ userId: target!.user_id, expiresInSeconds: 3600 });
  const reader = await startFunction(
    "datasets",
    join(supabaseDir, "functions", "datasets", "index.ts"),
    functionEnv(stack, { CACHE_L1_MAX_BYTES: "1kb" }),
    "datasets/l1-off",
  );
  try {
    const paths = Array.from(
      { length: 16 },
      (_, i) =>
        `/datasets/supplier-data?organization_id=${target!.organization_id}&to=2099-01-${
          String(i + 1).padStart(2, "0")
        }`,
    );
    const headers = { Authorization: `Bearer ${token}` };
    for (const path of paths) await (await fetch(reader.origin + path, { headers })).arrayBuffer();
    const window = () =>
      runWrk({
        origin: reader.origin,
        paths: { kind: "rotate", paths },
        connections: 1,
        durationSeconds: 1,
        headers,
      });
    await window(); // warm-up, not counted
    const pairs: ReadPair[] = [];
    const runSeconds: number[] = [];
    let dropped = 0;
    for (
      let round = 1;
      round <= rounds || (pairs.length < rounds && round <= 3 * rounds);
      round++
    ) {
      await markChanged(sql);
      let working = 0;
      await nightlyRun(sql, nextNight(), concurrency, {
        timeBudgetMs: READ_TICK_BUDGET_MS,
        aroundTick: async (start) => {
          const idle = await window();
          let done = false;
          const started = performance.now();
          const tick = start().finally(() => {
            done = true;
            working += performance.now() - started;
          });
          const during = await window();
          if (done) dropped++;
          else pairs.push({ round, idle, during });
          return await tick;
        },
      });
      runSeconds.push(working / 1000);
    }
    return { pairs, dropped, runSeconds };
  } finally {
    await reader.stop();
  }
}

/**
 * The read figure: each pair's p95 during / idle. Judged against its goal only
 * when the idle windows agree with each other within 2x: on a machine whose
 * other load moves the idle p95 more than that between windows, a ratio of
 * adjacent windows measures that load, and the output says so instead.
 */
function readFigure(
  name: string,
  reads: { pairs: readonly ReadPair[] },
  goal: Figure["goal"],
  note: string,
): Figure {
  const idle = reads.pairs.map((pair) => pair.idle.latencyMs.p95);
  const spread = Math.max(...idle) / Math.min(...idle);
  const samples = reads.pairs.map((pair) => pair.during.latencyMs.p95 / pair.idle.latencyMs.p95);
  if (!goal || spread <= 2) return { name, unit: "x", samples, note, ...(goal ? { goal } : {}) };
  return {
    name,
    unit: "x",
    samples,
    note: `${note}; goal ${goal.op} ${goal.value} NOT JUDGED: the idle p95 itself varied ${
      spread.toFixed(1)
    }x between windows (${Math.min(...idle).toFixed(2)}-${
      Math.max(...idle).toFixed(2)
    } ms), other load on the machine`,
  };
}
