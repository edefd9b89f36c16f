/**
 * The TypeScript dataset registry: its parameter schemas, and the README's dataset
 * table, which must list exactly the registry's datasets with their source,
 * tiers, parameter names and source tables. (Agreement with the SQL registry
 * `analytics.datasets` is tests/domain/dataset_registry_sql_test.ts.)
 */
import assert from "node:assert/strict";
import { FRESHNESS, RETENTION } from "../../shared/cache/tiers.ts";
import { DATASET_PARAMETERS } from "../../shared/datasets/dataset_parameters.ts";
import {
  DATASET_NAMES,
  DATASETS,
  datasetsBySource,
  datasetsReading,
} from "../../shared/datasets/registry.ts";

/** `30_000` → `30 s`, `300_000` → `5 min`, `90_000_000` → `25 h` (the README's units). */
function humanDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** The rows of the README table under "Cached reads", cells trimmed. */
async function readmeDatasetRows(): Promise<string[][]> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const start = readme.indexOf("| dataset ");
  assert.ok(start >= 0, "README has a dataset table");
  const lines = readme.slice(start).split("\n");
  const table = lines.slice(0, lines.findIndex((line) => !line.startsWith("|")));
  return table.slice(2).map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()));
}

const backticked = (cell: string) => [...cell.matchAll(/`([a-z_-]+)`/g)].map((match) => match[1]!);

Deno.test("README dataset table matches the registry, one row per dataset in order", async () => {
  const rows = await readmeDatasetRows();
  assert.deepEqual(rows.map((row) => backticked(row[0]!)[0]), [...DATASET_NAMES]);
  for (const row of rows) {
    const [nameCell, source, tiers, parameters, reads] = row as [
      string,
      string,
      string,
      string,
      string,
    ];
    const name = backticked(nameCell)[0] as keyof typeof DATASETS;
    const dataset = DATASETS[name];
    assert.ok(source.startsWith(dataset.source), `${name}: source ${source}`);
    assert.equal(source.includes("per user"), dataset.userScoped, `${name}: user scoping`);
    assert.equal(
      tiers,
      `${dataset.freshness} ${humanDuration(FRESHNESS[dataset.freshness])} / ` +
        `${dataset.retention} ${humanDuration(RETENTION[dataset.retention])}`,
    );
    const names = parameters === "none" ? [] : backticked(parameters);
    assert.deepEqual(names.sort(), Object.keys(dataset.parameters).sort(), `${name}: parameters`);
    assert.deepEqual(backticked(reads), [...dataset.sourceTables], `${name}: source tables`);
  }
});

Deno.test("registry source tables are sorted and unique; lookups agree with them", () => {
  for (const name of DATASET_NAMES) {
    const tables = [...DATASETS[name].sourceTables];
    assert.deepEqual(tables, [...new Set(tables)].sort(), name);
    for (const table of tables) {
      assert.ok(datasetsReading(table).includes(name), `${name} ${table}`);
    }
  }
  assert.deepEqual(
    [...datasetsBySource("nightly"), ...datasetsBySource("live")].sort(),
    [...DATASET_NAMES].sort(),
  );
  assert.deepEqual(datasetsReading("invoice_lines"), [
    "dashboard-metrics",
    "product-metrics",
    "cogs-analysis",
    "supplier-metrics",
    "invoice-analytics",
    "price-alerts",
    "supplier-data",
  ]);
});

Deno.test("parameter schemas built from the registry refuse unknown names and keep only given ones", () => {
  assert.deepEqual(Object.keys(DATASETS["location-data"].parameters).sort(), [
    "from",
    "limit",
    "location_id",
    "to",
  ]);
  assert.deepEqual(DATASET_PARAMETERS["dashboard-metrics"].parse({}), {});
  assert.equal(DATASET_PARAMETERS["dashboard-metrics"].safeParse({ limit: "1" }).success, false);
  assert.deepEqual(DATASET_PARAMETERS["supplier-data"].parse({ limit: "010" }), { limit: 10 });
  assert.deepEqual(
    DATASET_PARAMETERS["price-alerts"].parse({ threshold_percent: "12.5", to: "2026-01-31" }),
    { threshold_percent: 12.5, to: "2026-01-31" },
  );
  assert.equal(DATASET_PARAMETERS["supplier-data"].safeParse({ colour: "red" }).success, false);
  assert.equal(
    DATASET_PARAMETERS["price-alerts"].safeParse({ from: "2026-02-01", to: "2026-01-01" }).success,
    false,
  );
  assert.equal(
    DATASET_PARAMETERS["location-data"].safeParse({ from: "2026-02-30" }).success,
    false,
  );
  assert.equal(DATASET_PARAMETERS["user-preferences"].safeParse({ limit: "1" }).success, false);
});
