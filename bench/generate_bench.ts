/**
 * Benchmark `generate`: loads 1,000 organizations with 2,000,000 invoice lines
 * into a throwaway stack with the data generator, then rebuilds every
 * organization's nightly analytics, one transaction per organization.
 * Arguments are the generator's flags (e.g. `--orgs 100`), defaults below.
 */
import postgres from "postgres";
import { generateProcurementData } from "../tools/generator/generate.ts";
import { generatedOrganizationIds } from "../tools/generator/ids.ts";
import { parseGeneratorArgs } from "../tools/generator/options.ts";
import { rebuildOrganizations } from "../tools/generator/rebuild_all.ts";
import type { BenchmarkReport } from "./support/report.ts";
import { withBenchStack } from "./support/bench_stack.ts";
import { REFERENCE_GENERATOR_ARGS } from "./support/reference_dataset.ts";

const DEFAULT_ARGS = [
  ...REFERENCE_GENERATOR_ARGS,
  "--end-date",
  "2026-11-20",
];

/** Runs the benchmark; later flags override the defaults. */
export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const { options } = parseGeneratorArgs([...DEFAULT_ARGS, ...args]);
  return await withBenchStack("generate", async (stack) => {
    const loaded = await generateProcurementData(stack.dbUrl, options);
    const rebuilt = await rebuildOrganizations(
      stack.dbUrl,
      generatedOrganizationIds(options.seed, options.organizations),
      { asOf: options.endDate, workers: options.workers },
    );
    const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
    const [size] = await sql<{ bytes: string }[]>`
      select pg_database_size(current_database())::text as bytes`;
    await sql.end();

    const rows = loaded.organizations + loaded.users * 2 + loaded.suppliers + loaded.locations +
      loaded.products + loaded.invoices + loaded.invoiceLines;
    return {
      name: "generate",
      description: `load ${options.organizations} organizations / ${loaded.invoiceLines} lines, ` +
        "then rebuild every organization's nightly analytics",
      measurements: [
        { name: "load time", value: loaded.seconds, unit: "s" },
        { name: "invoice lines loaded", value: loaded.invoiceLines, unit: "rows" },
        { name: "load rate (lines)", value: loaded.invoiceLines / loaded.seconds, unit: "rows/s" },
        { name: "load rate (all rows)", value: rows / loaded.seconds, unit: "rows/s" },
        {
          name: `rebuild all organizations (${options.workers} sessions)`,
          value: rebuilt.seconds,
          unit: "s",
        },
        { name: "rebuild rate", value: rebuilt.organizations / rebuilt.seconds, unit: "orgs/s" },
        { name: "dataset rows written", value: rebuilt.rows, unit: "rows" },
        { name: "database size", value: Number(size!.bytes) / 2 ** 20, unit: "MiB" },
      ],
      context: {
        options,
        rowsLoaded: { ...loaded, seconds: undefined },
        cpus: navigator.hardwareConcurrency,
        deno: Deno.version.deno,
      },
    };
  });
}
