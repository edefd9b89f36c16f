/**
 * The stack's platform services outlive their database connections, as hosted
 * Supabase's services reconnect: after the services' backends are terminated
 * (`pg_terminate_backend`, what a crash or an admin does) and after the whole
 * cluster restarts, a pg_net request is still sent, a function still reaches
 * the database, a password sign-in still works and a private Realtime
 * broadcast is still delivered, each service logs
 * one "lost" line and one "restored" line per outage, and no promise rejection
 * goes unhandled (before, the replication stream's rejection took
 * `./nightshift dev` down). Runs a throwaway stack of its own, since it stops
 * the database under it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createClient } from "@supabase/supabase-js";
import postgres from "postgres";
import { freePort } from "../../local-stack/free_port.ts";
import { LOCAL_ANON_KEY } from "../../local-stack/keys.ts";
import { clusterRoot } from "../../local-stack/postgres/cluster_location.ts";
import { BROADCAST_READER_NAME } from "../../local-stack/realtime/broadcast_reader.ts";
import { LocalStack } from "../../local-stack/stack.ts";
import { HttpReceiver } from "../support/http_receiver.ts";
import { pollUntil } from "../support/poll.ts";
import { subscribePrivate } from "./support/channels.ts";
import { createMembers, invalidationTopic, type MemberFixture } from "./support/members.ts";

/** Checks each service end to end; `label` names the phase in failures. */
async function assertServicesWork(
  stack: LocalStack,
  members: MemberFixture,
  receiver: HttpReceiver,
  label: string,
): Promise<void> {
  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  const supabase = createClient(stack.apiUrl, LOCAL_ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  try {
    const sent = receiver.requests.length;
    await sql`select net.http_post(url := ${`${receiver.url}/${label}`}, body := '{}'::jsonb)`;
    const requests = await receiver.waitFor(sent + 1, 20_000);
    assert.equal(requests.at(-1)?.url.pathname, `/${label}`, `pg_net ${label}`);

    // A function's own pool (the project's code) reconnects too.
    const health = await fetch(`${stack.apiUrl}/functions/v1/health`, {
      headers: { authorization: `Bearer ${LOCAL_ANON_KEY}` },
    });
    assert.equal(health.status, 200, `health ${label}`);
    assert.equal((await health.json()).database.status, "ok");

    const { error } = await supabase.auth.signInWithPassword({
      email: members.memberA.email,
      password: members.password,
    });
    assert.equal(error, null, `sign-in ${label}`);

    // Broadcasts committed before the reader has a slot again are lost, as upstream.
    await pollUntil(
      "the broadcast reader streaming",
      async () => {
        const [row] = await sql<{ streaming: boolean }[]>`
        select count(*) > 0 as streaming from pg_catalog.pg_stat_replication
         where application_name = ${BROADCAST_READER_NAME} and state = 'streaming'`;
        return row?.streaming ? true : undefined;
      },
      20_000,
      100,
    );
    const topic = invalidationTopic(members.orgA);
    const { watched, status } = await subscribePrivate(supabase, topic, "restart");
    assert.equal(status, "SUBSCRIBED", `join ${label}`);
    await sql`select realtime.send(${sql.json({ label })}, 'restart', ${topic}, true)`;
    await pollUntil(
      `the broadcast ${label}`,
      () => Promise.resolve(watched.received.length > 0 ? true : undefined),
      10_000,
      20,
    );
    assert.equal(watched.received[0]?.payload.label, label, `broadcast ${label}`);
  } finally {
    await supabase.removeAllChannels();
    await sql.end();
  }
}

Deno.test({
  name: "platform services reconnect after terminated backends and a database restart",
  // A whole stack starts and stops inside: its processes and sockets are checked by hand.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const unhandled: unknown[] = [];
    const onUnhandled = (event: PromiseRejectionEvent) => {
      event.preventDefault();
      unhandled.push(event.reason);
    };
    globalThis.addEventListener("unhandledrejection", onUnhandled);
    const lines: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
      warn(...args);
    };
    const dir = join(clusterRoot(), `restart-test-${Deno.pid}`);
    const stack = await LocalStack.start({
      dir,
      dbPort: freePort(),
      apiPort: freePort(),
      seed: false,
    });
    const receiver = new HttpReceiver();
    const count = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).length;
    try {
      const setup = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
      const members = await createMembers(setup);
      await setup.end();
      await assertServicesWork(stack, members, receiver, "before");

      await t.step("after the services' backends are terminated", async () => {
        const admin = postgres(stack.cluster.adminUrl(), { max: 1, onnotice: () => {} });
        try {
          // Chosen first, terminated after: in one WHERE clause the planner may
          // call pg_terminate_backend before it filters out this very backend.
          const backends = await admin<{ pid: number }[]>`
            select pid from pg_catalog.pg_stat_activity
             where pid <> pg_backend_pid() and usename = 'supabase_admin'
               and backend_type in ('client backend', 'walsender')`;
          const pids = backends.map((backend) => backend.pid);
          const terminated = await admin<{ ok: boolean }[]>`
            select pg_catalog.pg_terminate_backend(pid) as ok from unnest(${pids}::int[]) as pid`;
          assert.ok(terminated.filter((row) => row.ok).length >= 3, `terminated ${pids.length}`);
        } finally {
          await admin.end();
        }
        await assertServicesWork(stack, members, receiver, "terminated");
        assert.equal(count(/^\[realtime\] database connection lost \(/), 1);
        assert.equal(count(/^\[realtime\] database connection restored/), 1);
      });

      await t.step("after the cluster restarts", async () => {
        await stack.cluster.stop();
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const down = await fetch(`${stack.apiUrl}/functions/v1/health`, {
          headers: { authorization: `Bearer ${LOCAL_ANON_KEY}` },
        });
        assert.equal(down.status, 503, "health while the database is down");
        assert.ok(down.headers.get("retry-after"));
        await down.body?.cancel();
        await stack.cluster.start();
        await assertServicesWork(stack, members, receiver, "restarted");
        assert.equal(count(/^\[realtime\] database connection lost \(/), 2);
        assert.equal(count(/^\[realtime\] database connection restored/), 2);
        // The worker polls every 500 ms: the outage was seen, and logged once.
        assert.equal(count(/^\[pg_net\] database connection lost \(/), 1);
        assert.equal(count(/^\[pg_net\] database connection restored/), 1);
      });
      assert.deepEqual(unhandled, []);
    } finally {
      console.warn = warn;
      globalThis.removeEventListener("unhandledrejection", onUnhandled);
      await receiver.close();
      await stack.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
