/**
 * The client's dataset types agree with the database and the server: row specs
 * with the SQL catalogue (columns, JSON types, nullability of stored columns),
 * with real rows of every dataset; parameters (typed from the registry) with the
 * server's parser.
 */
import assert from "node:assert/strict";
import {
  DATASET_NAMES,
  DATASET_ROW_SPECS,
  type DatasetName,
  datasetPath,
  type DatasetQuery,
  type ParameterKind,
  type ParameterValue,
} from "../../client/src/mod.ts";
import type { ColumnSpec } from "../../client/src/dataset_specs.ts";
import { DATASETS } from "../../shared/datasets/registry.ts";
import { parseDatasetRequest } from "../../shared/datasets/dataset_request.ts";
import { withTwoTenants } from "../functions/datasets_support.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { addPriceRise, nightshiftFor } from "./client_support.ts";

/** The SQL source of each live dataset's rows (`analytics.dataset_json`). */
const LIVE_FUNCTIONS: Partial<Record<DatasetName, string>> = {
  "price-alerts": "price_alerts",
  "supplier-data": "supplier_data",
  "location-data": "location_data",
  "user-preferences": "current_user_preferences",
};

const KIND_BY_SQL_TYPE: Readonly<Record<string, string>> = {
  uuid: "uuid",
  text: "text",
  character: "text",
  bpchar: "text",
  "USER-DEFINED": "text",
  date: "date",
  numeric: "number",
  integer: "number",
  int4: "number",
  boolean: "boolean",
  bool: "boolean",
  jsonb: "json",
};

const kindOf = (spec: ColumnSpec) => spec.replace(/\?$/, "");

Deno.test("DATASET_ROW_SPECS match the SQL catalogue of every dataset", async () => {
  const sql = connectAsSuperuser(1);
  try {
    for (const dataset of DATASET_NAMES) {
      const spec: Readonly<Record<string, ColumnSpec>> = DATASET_ROW_SPECS[dataset];
      const columns = DATASETS[dataset].source === "nightly"
        ? await sql<{ name: string; type: string; nullable: boolean }[]>`
            select column_name as name, data_type as type, is_nullable = 'YES' as nullable
            from information_schema.columns
            where table_schema = 'analytics' and table_name = ${dataset.replaceAll("-", "_")}
              and column_name <> 'organization_id'
            order by ordinal_position`
        : await sql<{ name: string; type: string; nullable: null }[]>`
            select argument.name, format_type(argument.type, null) as type, null as nullable
            from pg_catalog.pg_proc as proc
            cross join lateral unnest(proc.proargnames, proc.proallargtypes, proc.proargmodes)
              as argument(name, type, mode)
            where proc.pronamespace = 'analytics'::regnamespace
              and proc.proname = ${LIVE_FUNCTIONS[dataset]!} and argument.mode = 't'`;
      assert.ok(columns.length > 0, `${dataset}: no SQL columns found`);
      assert.deepEqual(
        Object.keys(spec).sort(),
        columns.map((column) => column.name).sort(),
        `${dataset}: columns`,
      );
      for (const column of columns) {
        const sqlKind = KIND_BY_SQL_TYPE[column.type.replace(/\(.*$/, "")];
        assert.equal(
          kindOf(spec[column.name]!),
          sqlKind,
          `${dataset}.${column.name} (${column.type})`,
        );
        if (column.nullable !== null) {
          assert.equal(
            spec[column.name]!.endsWith("?"),
            column.nullable,
            `${dataset}.${column.name} null`,
          );
        }
      }
    }
  } finally {
    await sql.end();
  }
});

Deno.test("real rows of every dataset fit DATASET_ROW_SPECS exactly", async () => {
  await withTwoTenants(async (t) => {
    const sql = connectAsSuperuser(1);
    try {
      await addPriceRise(sql, t);
    } finally {
      await sql.end();
    }
    const client = await nightshiftFor(t.memberA);
    for (const dataset of DATASET_NAMES) {
      const result = await client.fetchDataset(dataset, { organization_id: t.orgA });
      assert.ok(result.data.length > 0, `${dataset}: the fixture has rows`);
      const spec: Readonly<Record<string, ColumnSpec>> = DATASET_ROW_SPECS[dataset];
      for (const row of result.data as readonly Record<string, unknown>[]) {
        assert.deepEqual(Object.keys(row).sort(), Object.keys(spec).sort(), dataset);
        for (const [name, value] of Object.entries(row)) {
          assert.ok(
            fits(spec[name]!, value),
            `${dataset}.${name}: ${JSON.stringify(value)} is not ${spec[name]}`,
          );
        }
      }
    }
  });
});

Deno.test("parameters typed from the registry are accepted by the server as the client sends them", () => {
  const organization = crypto.randomUUID();
  const sample = {
    date: "2026-11-01",
    uuid: crypto.randomUUID(),
    limit: 5,
    percent: 12.5,
  } satisfies { [K in ParameterKind]: ParameterValue<K> };
  for (const dataset of DATASET_NAMES) {
    const parameters: Readonly<Record<string, ParameterKind>> = DATASETS[dataset].parameters;
    const query = { organization_id: organization } as Record<string, string | number>;
    for (const [name, kind] of Object.entries(parameters)) query[name] = sample[kind];
    // The client's path, as fetchDataset builds it, parsed by the server's request parser.
    const path = datasetPath("datasets", dataset, query);
    const parsed = parseDatasetRequest(new URL(`http://x/${path}`));
    for (const [name, kind] of Object.entries(parameters)) {
      assert.equal(parsed.params[name], sample[kind], `${dataset}.${name}`);
    }
  }
});

function fits(spec: ColumnSpec, value: unknown): boolean {
  if (value === null) return spec.endsWith("?");
  switch (kindOf(spec)) {
    case "uuid":
      return typeof value === "string" && /^[0-9a-f-]{36}$/.test(value);
    case "date":
      return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value);
    case "text":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "json":
      return typeof value === "object" && !Array.isArray(value);
  }
  return false;
}

Deno.test("DatasetQuery types follow the registry's parameters", () => {
  const alerts: DatasetQuery<"price-alerts"> = {
    organization_id: "o",
    limit: 5,
    threshold_percent: 12.5,
    from: undefined,
  };
  // @ts-expect-error limit is a number
  const wrongKind: DatasetQuery<"price-alerts"> = { organization_id: "o", limit: "5" };
  // @ts-expect-error nightly datasets take no parameters
  const extra: DatasetQuery<"dashboard-metrics"> = { organization_id: "o", limit: 5 };
  // @ts-expect-error threshold_percent is price-alerts' only
  const other: DatasetQuery<"supplier-data"> = { organization_id: "o", threshold_percent: 1 };
  assert.ok(alerts && wrongKind && extra && other);
});
