/**
 * `deno task bench [name] [benchmark args]`: runs one benchmark, or all of
 * them when no name is given; prints a table per benchmark and writes
 * `.nightshift/bench/<name>.json`.
 */
import { BENCHMARKS } from "./registry.ts";
import { formatTable, writeReport } from "./support/report.ts";

const [first, ...rest] = Deno.args;
const named = first !== undefined && !first.startsWith("-");
const names = named ? [first] : Object.keys(BENCHMARKS);
const args = named ? rest : Deno.args;

for (const name of names) {
  const load = BENCHMARKS[name];
  if (!load) {
    console.error(`Unknown benchmark: ${name} (known: ${Object.keys(BENCHMARKS).join(", ")})`);
    Deno.exit(2);
  }
  console.log(`Running benchmark ${name}...`);
  const report = await (await load()).run(args);
  const path = writeReport(report);
  console.log(`${formatTable(report)}\n  (written to ${path})\n`);
}
