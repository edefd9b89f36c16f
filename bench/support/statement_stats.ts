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

/** Pass to `withBenchStack`: the cluster starts with pg_stat_statements preloaded. */
export const STATEMENT_STATS_STACK = { preload: ["pg_stat_statements"] } as const;

/**
 * Creates the pg_stat_statements extension and forgets earlier counts. The stack
 * must have been started with {@linkcode STATEMENT_STATS_STACK}: restarting a
 * running stack to preload it broke the stack's platform connections.
 */
export async function enableStatementStats(stack: LocalStack): Promise<void> {
  const check = benchAdmin(stack, 1);
  try {
    const [row] = await check<{ setting: string }[]>`
      select setting from pg_settings where name = 'shared_preload_libraries'`;
    if (!row!.setting.includes("pg_stat_statements")) {
      throw new Error(
        "statement stats: start the stack with withBenchStack(name, work, STATEMENT_STATS_STACK)",
      );
    }
  } finally {
    await check.end({ timeout: 5 });
  }
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
  const counted = withTransactionEnds(
    rows.map((row) => ({ query: row.query, calls: Number(row.calls) })),
  );
  const matching: Record<string, number> = {};
  let total = 0;
  for (const [name] of Object.entries(patterns)) matching[name] = 0;
  for (const row of counted) {
    total += row.calls;
    for (const [name, pattern] of Object.entries(patterns)) {
      if (row.query.includes(pattern)) matching[name]! += row.calls;
    }
  }
  const top = counted
    .map((row) => ({ query: row.query.replace(/\s+/g, " ").slice(0, 160), calls: row.calls }))
    .sort((a, b) => b.calls - a.calls)
    .slice(0, 10);
  return { total, matching, top };
}

const BEGIN = /^\s*(begin|start\s+transaction)\b/i;
const END = /^\s*(commit|rollback|end)\s*;?\s*$/i;

/**
 * Counts the statements that end explicit transactions as sent. postgres.js's
 * `sql.begin` sends `begin` unprepared but `commit` / `rollback` as a prepared
 * statement, and PostgreSQL 15's pg_stat_statements zeroes the query id of a
 * prepared utility statement after its first execution, so it counts a
 * connection's `commit` once, however often it is sent (50 `sql.begin` calls on
 * one connection: 50 `begin`, 1 `commit` counted). Every transaction a function
 * opens ends with one such statement, so they are counted as many as the
 * `begin`s (under one `commit / rollback (as many as begin)` row).
 */
export function withTransactionEnds(
  rows: readonly { query: string; calls: number }[],
): { query: string; calls: number }[] {
  const begins = rows.filter((row) => BEGIN.test(row.query)).reduce((n, r) => n + r.calls, 0);
  const ends = rows.filter((row) => END.test(row.query)).reduce((n, r) => n + r.calls, 0);
  const others = rows.filter((row) => !END.test(row.query));
  const calls = Math.max(begins, ends);
  return calls === 0
    ? others
    : [...others, { query: "commit / rollback (as many as begin)", calls }];
}

/** Forgets every count. */
export async function resetStatements(admin: Sql): Promise<void> {
  await admin`select pg_stat_statements_reset()`;
}
