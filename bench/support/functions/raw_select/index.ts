/**
 * Benchmark baseline `raw-select`: a `Deno.serve` that answers
 * `GET /raw-select?key=<cache key>` with the `body` of that row of
 * `cache.entries`, read by primary key with the datasets function's driver
 * settings (`createDatabaseClient`, 5 connections). No authentication, no
 * freshness or tag check: the floor an L2 hit is compared with over the same
 * number of HTTP hops. Run by bench/cache_read_bench.ts, never deployed.
 */
import { createDatabaseClient } from "../../../../shared/db/client.ts";

const url = Deno.env.get("SUPABASE_DB_URL");
if (!url) throw new Error("raw-select: set SUPABASE_DB_URL");
const sql = createDatabaseClient(url, { maxConnections: 5 });

Deno.serve(async (request) => {
  const key = new URL(request.url).searchParams.get("key") ?? "";
  const [row] = await sql<{ body: string }[]>`select body from cache.entries where key = ${key}`;
  if (!row) return new Response("no such key", { status: 404 });
  return new Response(row.body, { headers: { "Content-Type": "application/json; charset=utf-8" } });
});
