/**
 * Benchmark `client-invalidation`: from an invalidation's commit to the client's
 * `invalidateQueries`, for each cause, with the real supabase-js joined to the
 * stack's Realtime as a member and the client package's listener on a real
 * TanStack QueryClient (one cached query per dataset, no observers, so the
 * figure excludes refetches).
 *
 * - `write`: `update public.suppliers …` (the statement trigger's notice);
 * - `admin`: `POST cache-admin/invalidate` through the gateway (timed from its
 *   response, which follows the commit);
 * - `nightly`: `cache.invalidate(…, 'nightly', …)`, the call the nightly refresh
 *   makes inside its committing transaction (the rebuild before it does not
 *   change the delivery path).
 *
 * Each cause runs `--count` invalidations one after the other; each waits for its
 * notice. Reported per cause, timed from the commit's acknowledgement (a lower
 * bound: Realtime may already be delivering) — p50 / p95 / max and the spread of
 * p50 over 5 slices of the run — and from the statement's (request's) start, an
 * upper bound that includes executing it.
 *
 * Args: --count 200
 *
 * @module
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createClient } from "@supabase/supabase-js";
import { LOCAL_ANON_KEY, LOCAL_SERVICE_ROLE_KEY, mintUserToken } from "../local-stack/keys.ts";
import {
  DATASET_NAMES,
  listenForInvalidations,
  NightshiftClient,
  nightshiftKeys,
  type NoticeOutcome,
} from "../client/src/mod.ts";
import { QueryClient } from "@tanstack/query-core";
import { withBenchStack } from "./support/bench_stack.ts";
import type { BenchmarkReport, Measurement } from "./support/report.ts";

type Cause = "write" | "admin" | "nightly";
const CAUSES: readonly Cause[] = ["write", "admin", "nightly"];

export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const { values } = parseArgs({
    args: [...args],
    options: { count: { type: "string", default: "200" } },
    strict: true,
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 10) throw new Error("client-invalidation: --count >= 10");
  return await withBenchStack("client-invalidation", async (stack) => {
    const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
    const organizationId = crypto.randomUUID();
    const userId = crypto.randomUUID();
    const supplierId = crypto.randomUUID();
    await sql`insert into auth.users (id, email) values (${userId}, ${`${userId}@bench.test`})`;
    await sql`insert into public.organizations (id, name) values (${organizationId}, 'Bench')`;
    await sql`
      insert into public.organization_members (organization_id, user_id, role)
      values (${organizationId}, ${userId}, 'member')`;
    await sql`
      insert into public.suppliers (id, organization_id, name)
      values (${supplierId}, ${organizationId}, 'Bench supplier')`;
    const token = await mintUserToken({ userId, expiresInSeconds: 3600 });
    const supabase = createClient(stack.apiUrl, LOCAL_ANON_KEY, {
      accessToken: () => Promise.resolve(token),
    });
    const queryClient = new QueryClient();
    for (const dataset of DATASET_NAMES) {
      queryClient.setQueryData([...nightshiftKeys.dataset(organizationId, dataset), {}], []);
    }
    let waiting: { cause: Cause; resolve: (at: number) => void } | undefined;
    const subscribed = Promise.withResolvers<void>();
    const listener = await listenForInvalidations({
      client: new NightshiftClient(supabase),
      queryClient,
      organizationId,
      onNotice: (outcome: NoticeOutcome) => {
        const at = performance.now();
        if (outcome.notice?.cause === waiting?.cause) waiting?.resolve(at);
      },
      onStatus: (status) => status === "SUBSCRIBED" ? subscribed.resolve() : undefined,
    });
    const invalidate: Record<Cause, (i: number) => Promise<void>> = {
      write: async (i) => {
        await sql`update public.suppliers set phone = ${`+45 ${i}`} where id = ${supplierId}`;
      },
      admin: async () => {
        const response = await fetch(`${stack.apiUrl}/functions/v1/cache-admin/invalidate`, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${LOCAL_SERVICE_ROLE_KEY}`,
            "Content-Type": "application/json",
          },
          body: JSON.stringify({
            organization_id: organizationId,
            datasets: ["price-alerts"],
            mode: "expire",
          }),
        });
        if (response.status !== 200) throw new Error(`admin invalidate: ${await response.text()}`);
      },
      nightly: async () => {
        await sql`
          select cache.invalidate(${organizationId}, nightly.dataset_names(), null, 'expire',
                                  'nightly', '{}'::jsonb)`;
      },
    };
    // From the commit's acknowledgement (a lower bound: the notice may already be on
    // its way) and from the statement's or request's start (an upper bound).
    const latencies: Record<Cause, number[]> = { write: [], admin: [], nightly: [] };
    const upperBounds: Record<Cause, number[]> = { write: [], admin: [], nightly: [] };
    try {
      await subscribed.promise;
      for (const cause of CAUSES) {
        for (let i = 0; i < count; i++) {
          const received = new Promise<number>((resolve) => waiting = { cause, resolve });
          const timeout = setTimeout(() => waiting?.resolve(Number.NaN), 5_000);
          const started = performance.now();
          await invalidate[cause](i);
          const committed = performance.now();
          const at = await received;
          clearTimeout(timeout);
          if (Number.isNaN(at)) throw new Error(`client-invalidation: no ${cause} notice in 5 s`);
          latencies[cause].push(Math.max(0, at - committed));
          upperBounds[cause].push(at - started);
        }
      }
    } finally {
      await listener.stop();
      await sql`delete from public.organizations where id = ${organizationId}`;
      await sql`delete from auth.users where id = ${userId}`;
      await sql.end();
    }
    const measurements: Measurement[] = [];
    for (const cause of CAUSES) {
      const sorted = [...latencies[cause]].sort((a, b) => a - b);
      const slices = Array.from({ length: 5 }, (_, slice) => {
        const part = latencies[cause].slice(slice * count / 5, (slice + 1) * count / 5)
          .sort((a, b) => a - b);
        return quantile(part, 0.5);
      }).sort((a, b) => a - b);
      measurements.push(
        { name: `${cause} p50`, value: round(quantile(sorted, 0.5)), unit: "ms" },
        { name: `${cause} p95`, value: round(quantile(sorted, 0.95)), unit: "ms" },
        { name: `${cause} max`, value: round(sorted.at(-1)!), unit: "ms" },
        { name: `${cause} p50 of 5 slices min`, value: round(slices[0]!), unit: "ms" },
        { name: `${cause} p50 of 5 slices max`, value: round(slices[4]!), unit: "ms" },
      );
      const fromStart = [...upperBounds[cause]].sort((a, b) => a - b);
      measurements.push(
        { name: `${cause} from start p50`, value: round(quantile(fromStart, 0.5)), unit: "ms" },
        { name: `${cause} from start p95`, value: round(quantile(fromStart, 0.95)), unit: "ms" },
      );
    }
    return {
      name: "client-invalidation",
      description: "commit → invalidateQueries in the client package's listener, per cause",
      measurements,
      context: { count, cpus: navigator.hardwareConcurrency },
    };
  });
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function round(value: number): number {
  return Number(value.toFixed(2));
}
