/**
 * Benchmark `cold-burst`: a burst of `--requests` concurrent reads of one key
 * that no tier holds, split over two freshly started `datasets` processes (cold
 * isolates: empty L1, no membership remembered) and over every member of the
 * organization. Counted per burst, from `pg_stat_statements` (the functions'
 * statements only, see bench/support/statement_stats.ts) and the responses:
 *
 * - computations (`analytics.dataset_json` calls): single-flight in each process
 *   and across both (a lease) makes this 1;
 * - membership queries (`public.organization_members`), against users ×
 *   organizations × processes: a cold process that single-flights its membership
 *   checks asks once per user and organization;
 * - distinct ETags and statuses of the answers (every answer must be the same bytes).
 *
 * Each sample uses a key of its own (a new `to` date) and two new processes.
 *
 * Args: --samples 5 --requests 1000 --invoices-per-org 200
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FunctionProcess } from "../local-stack/functions/function_process.ts";
import { mintUserToken } from "../local-stack/keys.ts";
import { supabaseDir } from "../local-stack/paths.ts";
import type { LocalStack } from "../local-stack/stack.ts";
import { generateProcurementData } from "../tools/generator/generate.ts";
import { generatedOrganizationIds } from "../tools/generator/ids.ts";
import { resolveGeneratorOptions } from "../tools/generator/options.ts";
import { GOALS } from "./goals.ts";
import { functionEnv, startFunction, withBenchStack } from "./support/bench_stack.ts";
import { type Figure, MIN_SAMPLES } from "./support/figures.ts";
import type { BenchmarkReport } from "./support/report.ts";
import {
  benchAdmin,
  enableStatementStats,
  functionStatements,
  resetStatements,
  STATEMENT_STATS_STACK,
} from "./support/statement_stats.ts";

const DATASET = "supplier-data";
const SEED = 5151;
const PROCESSES = 2;

interface Options {
  readonly samples: number;
  readonly requests: number;
  readonly invoicesPerOrganization: number;
}

function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      samples: { type: "string", default: String(MIN_SAMPLES) },
      requests: { type: "string", default: "1000" },
      "invoices-per-org": { type: "string", default: "200" },
    },
    strict: true,
  });
  const integer = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(
        `cold-burst: --${name} must be a whole number from ${min} to ${max}: ${text}`,
      );
    }
    return value;
  };
  return {
    samples: integer("samples", values.samples, 1, 50),
    requests: integer("requests", values.requests, 2, 10_000),
    invoicesPerOrganization: integer("invoices-per-org", values["invoices-per-org"], 10, 100_000),
  };
}

export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const options = parseOptions(args);
  return await withBenchStack(
    "cold-burst",
    (stack) => measure(stack, options),
    STATEMENT_STATS_STACK,
  );
}

interface BurstSample {
  readonly computations: number;
  readonly membershipQueries: number;
  readonly statements: number;
  readonly etags: number;
  readonly statuses: Record<string, number>;
  readonly seconds: number;
}

async function measure(stack: LocalStack, options: Options): Promise<BenchmarkReport> {
  await enableStatementStats(stack);
  await generateProcurementData(
    stack.dbUrl,
    resolveGeneratorOptions({
      organizations: 1,
      invoicesPerOrganization: options.invoicesPerOrganization,
      seed: SEED,
      workers: 1,
    }),
  );
  const organizationId = generatedOrganizationIds(SEED, 1)[0]!;
  const admin = benchAdmin(stack);
  const samples: BurstSample[] = [];
  let users = 0;
  try {
    const members = await admin<{ user_id: string }[]>`
      select user_id from public.organization_members where organization_id = ${organizationId}
      order by user_id`;
    users = members.length;
    const tokens = await Promise.all(
      members.map((m) => mintUserToken({ userId: m.user_id, expiresInSeconds: 3600 })),
    );
    const entry = join(supabaseDir, "functions", "datasets", "index.ts");
    for (let sample = 1; sample <= options.samples; sample++) {
      const processes: FunctionProcess[] = [];
      try {
        for (let p = 0; p < PROCESSES; p++) {
          processes.push(
            await startFunction("datasets", entry, functionEnv(stack), `datasets/cold-${p}`),
          );
        }
        const to = `2099-01-${String(sample).padStart(2, "0")}`;
        const path = `/datasets/${DATASET}?organization_id=${organizationId}&to=${to}`;
        await resetStatements(admin);
        const started = performance.now();
        const answers = await Promise.all(
          Array.from({ length: options.requests }, async (_, i) => {
            const response = await fetch(processes[i % PROCESSES]!.origin + path, {
              headers: { Authorization: `Bearer ${tokens[i % tokens.length]}` },
            });
            await response.arrayBuffer();
            return {
              status: `${response.status} ${response.headers.get("x-cache") ?? "-"}`,
              etag: response.headers.get("etag"),
            };
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        const counts = await functionStatements(admin, {
          computations: "analytics.dataset_json",
          membership: "public.organization_members",
        });
        const statuses: Record<string, number> = {};
        for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        const result: BurstSample = {
          computations: counts.matching.computations!,
          membershipQueries: counts.matching.membership!,
          statements: counts.total,
          etags: new Set(answers.map((a) => a.etag)).size,
          statuses,
          seconds,
        };
        samples.push(result);
        console.log(
          `  burst ${sample}: ${result.computations} computations, ${result.membershipQueries} ` +
            `membership queries, ${result.statements} statements, ${result.etags} ETags, ` +
            `${JSON.stringify(statuses)}, ${seconds.toFixed(2)} s`,
        );
      } finally {
        for (const process of processes) await process.stop().catch(() => {});
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  const bound = users * PROCESSES;
  const figures: Figure[] = [
    {
      name: `membership queries / (users × organizations × processes = ${bound})`,
      unit: "x",
      samples: samples.map((s) => s.membershipQueries / bound),
      goal: GOALS.coldMembershipPerUserOrgProcess,
    },
    {
      name: "computations per burst",
      unit: "",
      samples: samples.map((s) => s.computations),
      goal: GOALS.coldComputations,
    },
    {
      name: "distinct ETags per burst",
      unit: "",
      samples: samples.map((s) => s.etags),
      goal: GOALS.coldDistinctEtags,
    },
    {
      name: "membership queries per burst",
      unit: "",
      samples: samples.map((s) => s.membershipQueries),
    },
    { name: "SQL statements per burst", unit: "", samples: samples.map((s) => s.statements) },
    { name: "burst duration", unit: "s", samples: samples.map((s) => s.seconds) },
  ];
  return {
    name: "cold-burst",
    description: `${options.requests} concurrent cold reads of one ${DATASET} key over ` +
      `${PROCESSES} fresh datasets processes and ${users} members of one organization`,
    figures,
    measurements: [
      { name: "requests per burst", value: options.requests, unit: "" },
      { name: "members (users)", value: users, unit: "" },
    ],
    notes: [
      "Statements counted with pg_stat_statements (top level, the functions' role, pg_net " +
      "worker excluded).",
    ],
    context: { options, samples, cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
  };
}
