/**
 * Benchmark `realtime-latency`: commit → supabase-js callback latency of a
 * private-channel broadcast through the local Realtime emulation
 * (`realtime.send` in a transaction; the timer starts when COMMIT is issued and
 * stops in the channel's `broadcast` callback). Same-run baseline: a bare
 * `pg_notify` in a transaction, from COMMIT to a postgres.js `listen` callback
 * on the same database (the floor for "committed, then told").
 *
 * One sample sends `--broadcasts` messages one after another (each waits for
 * its callback, so no queueing), and yields p50/p95; `--samples` samples give
 * min/median/max of those. Args: --broadcasts 200 --samples 5
 *
 * @module
 */
import { parseArgs } from "node:util";
import postgres, { type Sql } from "postgres";
import { createClient } from "@supabase/supabase-js";
import { LOCAL_ANON_KEY } from "../local-stack/keys.ts";
import { withBenchStack } from "./support/bench_stack.ts";
import type { BenchmarkReport, Measurement } from "./support/report.ts";

interface Options {
  readonly broadcasts: number;
  readonly samples: number;
}

function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      broadcasts: { type: "string", default: "200" },
      samples: { type: "string", default: "5" },
    },
    strict: true,
  });
  const integer = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`realtime-latency: --${name} must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
  return {
    broadcasts: integer("broadcasts", values.broadcasts, 10, 100_000),
    samples: integer("samples", values.samples, 1, 100),
  };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function spread(name: string, values: readonly number[]): Measurement[] {
  const sorted = [...values].sort((a, b) => a - b);
  return [
    { name: `${name} min`, value: sorted[0]!, unit: "ms" },
    { name: `${name} median`, value: sorted[Math.floor(sorted.length / 2)]!, unit: "ms" },
    { name: `${name} max`, value: sorted[sorted.length - 1]!, unit: "ms" },
  ];
}

/** Times `count` commits whose arrival `arrived(n)` resolves; returns ms per message. */
async function timeCommits(
  sql: Sql,
  count: number,
  send: (tx: Sql, n: number) => Promise<unknown>,
  arrival: (n: number) => Promise<number>,
): Promise<number[]> {
  const latencies: number[] = [];
  const connection = await sql.reserve();
  try {
    for (let n = 0; n < count; n++) {
      const arrived = arrival(n);
      await connection`begin`;
      await send(connection, n);
      const committing = performance.now();
      await connection`commit`;
      latencies.push((await arrived) - committing);
    }
  } finally {
    connection.release();
  }
  return latencies;
}

/** Resolvers by message number, fed by a callback. */
function arrivals() {
  const waiting = new Map<number, (at: number) => void>();
  return {
    expect: (n: number) => new Promise<number>((resolve) => waiting.set(n, resolve)),
    arrived: (n: number) => {
      const at = performance.now();
      waiting.get(n)?.(at);
      waiting.delete(n);
    },
  };
}

export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const options = parseOptions(args);
  return await withBenchStack("realtime-latency", async (stack) => {
    const sql = stack.sql;
    const orgId = crypto.randomUUID();
    const userId = crypto.randomUUID();
    const email = `bench-${userId}@realtime.test`;
    await sql`insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at)
              values (${userId}, 'authenticated', 'authenticated', ${email},
                      extensions.crypt('bench', extensions.gen_salt('bf', 4)), now())`;
    await sql`insert into public.organizations (id, name) values (${orgId}, 'Bench')`;
    await sql`insert into public.organization_members (organization_id, user_id, role)
              values (${orgId}, ${userId}, 'member')`;

    const supabase = createClient(stack.apiUrl, LOCAL_ANON_KEY, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const { error } = await supabase.auth.signInWithPassword({ email, password: "bench" });
    if (error) throw new Error(`realtime-latency: sign-in failed: ${error.message}`);
    const topic = `cache-invalidation:${orgId}`;
    const realtime = arrivals();
    const subscribed = Promise.withResolvers<void>();
    const channel = supabase.channel(topic, { config: { private: true } })
      .on("broadcast", { event: "bench" }, (message) => realtime.arrived(Number(message.payload.n)))
      .subscribe((status, cause) => {
        if (status === "SUBSCRIBED") subscribed.resolve();
        else subscribed.reject(new Error(`realtime-latency: channel ${status}: ${cause}`));
      });
    await subscribed.promise;

    const notify = arrivals();
    const listener = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
    await listener.listen("bench_latency", (n) => notify.arrived(Number(n)));

    const realtimeP50: number[] = [];
    const realtimeP95: number[] = [];
    const notifyP50: number[] = [];
    const notifyP95: number[] = [];
    try {
      for (let sample = 0; sample < options.samples; sample++) {
        const broadcast = await timeCommits(
          sql,
          options.broadcasts,
          (tx, n) => tx`select realtime.send(${sql.json({ n })}, 'bench', ${topic}, true)`,
          realtime.expect,
        );
        realtimeP50.push(percentile(broadcast, 50));
        realtimeP95.push(percentile(broadcast, 95));
        const notified = await timeCommits(
          sql,
          options.broadcasts,
          (tx, n) => tx`select pg_notify('bench_latency', ${String(n)})`,
          notify.expect,
        );
        notifyP50.push(percentile(notified, 50));
        notifyP95.push(percentile(notified, 95));
      }
    } finally {
      await supabase.removeChannel(channel);
      await listener.end({ timeout: 5 });
      await sql`delete from public.organizations where id = ${orgId}`;
      await sql`delete from auth.users where id = ${userId}`;
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    return {
      name: "realtime-latency",
      description:
        "commit → supabase-js broadcast callback on a private channel, vs pg_notify → listen",
      measurements: [
        ...spread("realtime p50", realtimeP50),
        ...spread("realtime p95", realtimeP95),
        ...spread("pg_notify p50", notifyP50),
        ...spread("pg_notify p95", notifyP95),
        {
          name: "realtime/pg_notify p50 ratio (medians)",
          value: median(realtimeP50) / median(notifyP50),
          unit: "x",
        },
      ],
      context: { ...options, protocol: "2.0.0", supabaseJs: "2.119.1" },
    };
  });
}
