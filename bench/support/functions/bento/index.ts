/**
 * Benchmark peer `bento`: BentoCache (npm, pinned) inside the endpoint's own
 * shell (parsing, token, membership, key, headers), so only the cache differs
 * from the `datasets` function. `BENCH_BENTO_MODE`:
 *
 * - `l1`: a memory L1 with `serialize: false` (objects kept as they are, no
 *   L2). Measured L1-only on purpose: with an L2 behind it, that L1 crashes
 *   on a read after a refill from L2 (BentoCache issue #111).
 * - `l2`: an L2 only, Postgres through knex (`bentocache` table), untagged: a
 *   read is one select by key and checks no tags.
 *
 * Misses compute exactly as the endpoint does (query as the caller, serialize,
 * ETag). Never deployed.
 */
import { BentoCache, bentostore } from "bentocache";
import { knexDriver } from "bentocache/drivers/knex";
import { memoryDriver } from "bentocache/drivers/memory";
import knex from "knex";
import pg from "pg";
// knex loads its driver with require("pg"), which npm: packages cannot see: hand it over.
// @ts-ignore: knex ships this dialect without types
import PgClientUntyped from "knex/lib/dialects/postgres/index.js";
import type { CacheEntry } from "../../../../shared/cache/entry.ts";
import { authorize, computeEntry, respond, serve } from "../_dataset_shell.ts";

const PgClient = PgClientUntyped as new (config: unknown) => { _driver(): unknown };
class PgDriverClient extends PgClient {
  override _driver(): unknown {
    return pg;
  }
}

const mode = Deno.env.get("BENCH_BENTO_MODE");
const url = Deno.env.get("SUPABASE_DB_URL")!;
const store = mode === "l1"
  ? bentostore().useL1Layer(memoryDriver({ maxItems: 1000, serialize: false }))
  : mode === "l2"
  ? bentostore().useL2Layer(knexDriver({
    connection: knex({
      client: PgDriverClient as unknown as typeof knex.Client,
      connection: url,
      pool: { min: 0, max: 5 },
    }),
  }))
  : undefined;
if (!store) throw new Error(`bento: BENCH_BENTO_MODE must be l1 or l2: received ${mode}`);
const bento = new BentoCache({ default: "datasets", stores: { datasets: store } });

serve(async (request, shellHeaders, log) => {
  const read = await authorize(request, log);
  let computed = false;
  const entry = await bento.getOrSet<CacheEntry>({
    key: read.key,
    ttl: "30m",
    factory: async () => {
      computed = true;
      return await computeEntry(read);
    },
  });
  return respond(request, entry, computed ? "MISS" : "HIT", shellHeaders(), log);
});
