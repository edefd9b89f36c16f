/**
 * Counting the SQL statements the functions send, with `pg_stat_statements`
 * (top-level statements only, as Supabase runs it): the benchmark stack's
 * cluster is restarted with the library preloaded, and the benchmark's own
 * statements run as a different role (`supabase_admin`), so counts filtered on
 * the functions' role (`postgres`) are the functions' alone.
 *
 * @module
 */
import postgres, { type Sql } from "postgres";
import type { LocalStack } from "../../local-stack/stack.ts";

/** Superuser connection of the benchmark, a role the functions never use. */
export function benchAdmin(stack: LocalStack, max = 2): Sql {
  return postgres(stack.cluster.url("supabase_admin"), { max, onnotice: () => {} });
}

/**
 * Preloads pg_stat_statements (restarting the cluster) and creates the extension.
 * Call before starting the benchmark's own function processes.
 */
export async function enableStatementStats(stack: LocalStack): Promise<void> {
  const admin = benchAdmin(stack, 1);
  try {
    const [row] = await admin<{ setting: string }[]>`
      select setting from pg_settings where name = 'shared_preload_libraries'`;
    if (!row!.setting.includes("pg_stat_statements")) {
      const libraries = [...row!.setting.split(",").map((s) => s.trim()).filter(Boolean)];
      await admin.unsafe(
        `alter system set shared_preload_libraries = ${
          [...libraries, "pg_stat_statements"].map((l) => `'${l}'`).join(", ")
        }`,
      );
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  await stack.cluster.stop();
  await stack.cluster.start();
  const after = benchAdmin(stack, 1);
  try {
    await after`create extension if not exists pg_stat_statements`;
    await after`select pg_stat_statements_reset()`;
  } finally {
    await after.end({ timeout: 5 });
  }
}

/** Statements of every role but the benchmark's since the last reset: all, and those matching patterns. */
export async function functionStatements(
  admin: Sql,
  patterns: Readonly<Record<string, string>> = {},
): Promise<{
  total: number;
  matching: Record<string, number>;
  /** The most frequent statements, most calls first. */
  top: { query: string; calls: number }[];
}> {
  const rows = await admin<{ query: string; calls: string }[]>`
    select s.query, s.calls::text as calls from pg_stat_statements as s
    where s.userid <> 'supabase_admin'::regrole
      and s.dbid = (select oid from pg_database where datname = current_database())
      and s.query not like '%net.http_request_queue%' and s.query not like '%net._http_response%'
      and s.query not like '%pg_stat_statements%'`;
  const matching: Record<string, number> = {};
  let total = 0;
  for (const [name] of Object.entries(patterns)) matching[name] = 0;
  for (const row of rows) {
    const calls = Number(row.calls);
    total += calls;
    for (const [name, pattern] of Object.entries(patterns)) {
      if (row.query.includes(pattern)) matching[name]! += calls;
    }
  }
  const top = rows
    .map((row) => ({
      query: row.query.replace(/\s+/g, " ").slice(0, 160),
      calls: Number(row.calls),
    }))
    .sort((a, b) => b.calls - a.calls)
    .slice(0, 10);
  return { total, matching, top };
}

/** Forgets every count. */
export async function resetStatements(admin: Sql): Promise<void> {
  await admin`select pg_stat_statements_reset()`;
}
