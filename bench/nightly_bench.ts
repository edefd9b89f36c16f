/**
 * Benchmark `nightly`: the nightly refresh on 1,000 organizations / 2,000,000
 * invoice lines, against two baselines measured in the same run:
 *
 *   (a) one global `REFRESH MATERIALIZED VIEW CONCURRENTLY` of the five datasets
 *       as set-based views (bench/support/baseline_views.ts), rows checked
 *       identical to the nightly run's;
 *   (b) the seed plan's loop: for each organization, refresh every view
 *       (each refresh recomputes all organizations), run for at most
 *       `--loop-cap-seconds` and extrapolated to every organization.
 *
 * Runs measured: a full run (every active organization rebuilt) and an
 * incremental one the next night, with 5% of the organizations changed since
 * (the others were rebuilt less than MIN_AGE ago and unchanged, so skipped).
 * Both call the orchestrator exactly as the function does (`runTick`, default
 * settings), one invocation after another until the run is settled, as
 * chained invocations would.
 *
 * Flags: the generator's (`--orgs`, `--invoices-per-org`, ...) plus
 * `--loop-cap-seconds S` (default 60) and `--concurrency N` (default: NIGHTLY_CONCURRENCY's).
 */
import postgres, { type Sql } from "postgres";
import { parseArgs } from "node:util";
import { runTick, type TickReport } from "../shared/nightly/invocation.ts";
import { readNightlySettings } from "../shared/nightly/settings.ts";
import { generateProcurementData } from "../tools/generator/generate.ts";
import { parseGeneratorArgs } from "../tools/generator/options.ts";
import { BASELINE_VIEWS, CREATE_BASELINE_SQL } from "./support/baseline_views.ts";
import { withBenchStack } from "./support/bench_stack.ts";
import { REFERENCE_GENERATOR_ARGS } from "./support/reference_dataset.ts";
import type { BenchmarkReport, Measurement } from "./support/report.ts";

const DEFAULT_GENERATOR_ARGS = [
  ...REFERENCE_GENERATOR_ARGS,
];
const DIRTY_SHARE = 0.05;
const DAY = 86_400_000;

/** Seconds elapsed while `work` runs. */
async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
}

/** Calls the orchestrator until the run it enqueues (at `now`) is settled. */
async function nightlyRun(sql: Sql, now: number, concurrency: number | undefined) {
  const settings = {
    ...readNightlySettings((name) =>
      name === "NIGHTLY_CRON_SECRET" ? "benchmark-cron-secret-0123456789abcdef" : undefined
    ),
    chainInvocations: false,
    ...(concurrency ? { concurrency } : {}),
  };
  const reports: TickReport[] = [];
  const { seconds } = await timed(async () => {
    for (;;) {
      const report = await runTick({ sql, settings, clock: { now: () => now } });
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

/** REFRESH MATERIALIZED VIEW CONCURRENTLY of every baseline view, in seconds. */
async function refreshAllViews(sql: Sql): Promise<number> {
  const { seconds } = await timed(async () => {
    for (const view of BASELINE_VIEWS) {
      await sql.unsafe(`refresh materialized view concurrently bench_baseline.${view}`);
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

/** Runs the benchmark; later flags override the defaults. */
export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const own = parseArgs({
    args: [...args],
    options: { "loop-cap-seconds": { type: "string" }, concurrency: { type: "string" } },
    strict: false,
    allowPositionals: true,
  });
  const loopCapSeconds = Number(own.values["loop-cap-seconds"] ?? 60);
  const concurrency = own.values.concurrency ? Number(own.values.concurrency) : undefined;
  const generatorArgs = args.filter((arg, index) =>
    !["--loop-cap-seconds", "--concurrency"].includes(arg) &&
    !["--loop-cap-seconds", "--concurrency"].includes(args[index - 1] ?? "")
  );
  const { options } = parseGeneratorArgs([...DEFAULT_GENERATOR_ARGS, ...generatorArgs]);

  return await withBenchStack("nightly", async (stack) => {
    console.log(`Loading ${options.organizations} organizations...`);
    const loaded = await generateProcurementData(stack.dbUrl, options);
    const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });
    try {
      await sql`analyze`;
      // The full run is for yesterday's night, the incremental one for tonight's.
      const fullRunAt = Date.now() - DAY;

      console.log("Materializing the baseline views...");
      await sql.unsafe(CREATE_BASELINE_SQL).simple();
      await sql`
        insert into bench_baseline.as_of (organization_id, as_of, window_start)
        select id, nightly.due_local_date(time_zone, ${new Date(fullRunAt)}, '02:00'),
          private.reporting_window_start(nightly.due_local_date(time_zone, ${new Date(
        fullRunAt,
      )}, '02:00'))
        from public.organizations where status = 'active'`;
      const [{ count: activeOrganizations }] = await sql<[{ count: number }]>`
        select count(*)::int as count from bench_baseline.as_of`;
      const initial = await timed(async () => {
        for (const view of BASELINE_VIEWS) {
          await sql.unsafe(`refresh materialized view bench_baseline.${view}`);
        }
      });

      console.log("(a) one global REFRESH MATERIALIZED VIEW CONCURRENTLY of the five views...");
      const globalRefresh = await refreshAllViews(sql);

      console.log(`Full nightly run over ${activeOrganizations} organizations...`);
      const full = await nightlyRun(sql, fullRunAt, concurrency);
      const mismatches = await differences(sql);

      console.log(`Changing ${DIRTY_SHARE * 100}% of the organizations...`);
      const dirty = Math.round(activeOrganizations * DIRTY_SHARE);
      await sql`
        update public.invoice_lines as line set quantity = line.quantity + 1
        from (
          select distinct on (l.organization_id) l.organization_id, l.invoice_id, l.line_number
          from public.invoice_lines as l
          where l.organization_id in (
            select organization_id from bench_baseline.as_of order by organization_id limit ${dirty})
          order by l.organization_id, l.invoice_id, l.line_number
        ) as pick
        where line.organization_id = pick.organization_id and line.invoice_id = pick.invoice_id
          and line.line_number = pick.line_number`;

      console.log("Incremental nightly run (the next night)...");
      const incremental = await nightlyRun(sql, Date.now(), concurrency);

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

      const measurements: Measurement[] = [
        { name: "invoice lines", value: loaded.invoiceLines, unit: "rows" },
        { name: "active organizations", value: activeOrganizations, unit: "orgs" },
        { name: "baseline views: first materialization", value: initial.seconds, unit: "s" },
        { name: "(a) global REFRESH ... CONCURRENTLY, 5 views", value: globalRefresh, unit: "s" },
        {
          name: "(b) seed-plan loop: one organization",
          value: loop.seconds / iterations,
          unit: "s",
        },
        {
          name: `(b) seed-plan loop: extrapolated from ${iterations} iterations`,
          value: loopExtrapolated,
          unit: "s",
        },
        { name: "full run", value: full.seconds, unit: "s" },
        { name: "full run: invocations", value: full.invocations, unit: "" },
        { name: "full run: refreshed", value: full.run.refreshed, unit: "orgs" },
        { name: "full run / (a)  [target <= 1.5]", value: full.seconds / globalRefresh, unit: "x" },
        { name: "(b) / full run (speed-up)", value: loopExtrapolated / full.seconds, unit: "x" },
        { name: "incremental run (5% changed)", value: incremental.seconds, unit: "s" },
        { name: "incremental run: refreshed", value: incremental.run.refreshed, unit: "orgs" },
        {
          name: "incremental run: skipped (unchanged)",
          value: incremental.run.skipped,
          unit: "orgs",
        },
        {
          name: "incremental / (a)  [target <= 0.15]",
          value: incremental.seconds / globalRefresh,
          unit: "x",
        },
        {
          name: "(b) / incremental run (speed-up)",
          value: loopExtrapolated / incremental.seconds,
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
          `${loaded.invoiceLines} lines vs (a) a global REFRESH MATERIALIZED VIEW CONCURRENTLY ` +
          "and (b) the seed plan's per-organization loop",
        measurements,
        context: {
          options,
          loopCapSeconds,
          concurrency: full.settings.concurrency,
          timeBudgetMs: full.settings.timeBudgetMs,
          fullRun: full.run,
          incrementalRun: incremental.run,
          mismatches,
          cpus: navigator.hardwareConcurrency,
          deno: Deno.version.deno,
        },
      };
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
}
