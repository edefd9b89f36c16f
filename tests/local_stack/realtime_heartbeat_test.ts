/**
 * Heartbeats keep an idle socket open; without them the server closes it after
 * its idle timeout (Phoenix's websocket transport `timeout`, used by
 * supabase/realtime `lib/realtime_web/endpoint.ex`). A standalone Realtime
 * server with a short timeout keeps the test quick. Also pins the connect
 * refusal of `lib/realtime_web/channels/user_socket.ex` (`error_response/1`).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createClient } from "@supabase/supabase-js";
import { TokenVerifier } from "../../local-stack/auth/token_verifier.ts";
import { freePort } from "../../local-stack/free_port.ts";
import { startGateway } from "../../local-stack/gateway.ts";
import {
  LOCAL_JWKS,
  LOCAL_JWT_SECRET,
  LOCAL_PUBLISHABLE_KEY,
  mintUserToken,
} from "../../local-stack/keys.ts";
import { RealtimeServer } from "../../local-stack/realtime/realtime_server.ts";
import { pollUntil } from "../support/poll.ts";
import { connectAsPostgres, testStack } from "../support/stack.ts";
import { subscribePrivate } from "./support/channels.ts";
import { createMembers, dropMembers, invalidationTopic } from "./support/members.ts";

const IDLE_TIMEOUT_MS = 1000;

/** The platform services' role (the bootstrap superuser, REPLICATION), as the stack uses it. */
const serviceUrl = () => testStack.adminDbUrl;

Deno.test("heartbeats keep an idle channel open; silence closes the socket", async (t) => {
  const sql = connectAsPostgres();
  const fixture = await createMembers(sql);
  const serviceSql = postgres(serviceUrl(), { max: 2, onnotice: () => {} });
  const realtime = new RealtimeServer({
    sql: serviceSql,
    replicationUrl: serviceUrl(),
    verifier: new TokenVerifier(LOCAL_JWT_SECRET, LOCAL_JWKS),
    idleTimeoutMs: IDLE_TIMEOUT_MS,
  });
  await realtime.start();
  const port = freePort();
  const gateway = startGateway({ port, jwks: LOCAL_JWKS, functions: new Map(), realtime });
  const socketUrl = `ws://127.0.0.1:${port}/realtime/v1/websocket`;
  try {
    await t.step("a socket that sends nothing is closed after the idle timeout", async () => {
      const socket = new WebSocket(`${socketUrl}?apikey=${LOCAL_PUBLISHABLE_KEY}&vsn=2.0.0`);
      const closed = Promise.withResolvers<number>();
      const opened = Date.now();
      socket.onclose = () => closed.resolve(Date.now() - opened);
      const lifetime = await closed.promise;
      assert.ok(lifetime >= IDLE_TIMEOUT_MS && lifetime < IDLE_TIMEOUT_MS * 4, `${lifetime} ms`);
    });
    await t.step("a connect without an apikey is refused with 401", async () => {
      const response = await fetch(`http://127.0.0.1:${port}/realtime/v1/websocket`, {
        headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13" },
      });
      assert.equal(response.status, 401);
      assert.deepEqual(await response.json(), { error: "API key is missing" });
    });
    await t.step("supabase-js heartbeats keep a private channel joined and receiving", async () => {
      const userToken = await mintUserToken({ userId: fixture.memberA.id });
      const supabase = createClient(`http://127.0.0.1:${port}`, LOCAL_PUBLISHABLE_KEY, {
        accessToken: () => Promise.resolve(userToken),
        // realtime-js counts a heartbeat unanswered by the next one as a lost connection, so the
        // interval leaves room for a loaded machine while staying well under the idle timeout.
        realtime: { heartbeatIntervalMs: 300 },
      });
      await supabase.realtime.setAuth(); // before joining, as for any private channel
      const topic = invalidationTopic(fixture.orgA);
      const { watched, status, error } = await subscribePrivate(supabase, topic);
      assert.equal(status, "SUBSCRIBED", String(error?.message));
      await new Promise((resolve) => setTimeout(resolve, IDLE_TIMEOUT_MS * 3));
      await sql`select realtime.send('{"idle": false}'::jsonb, 'cache_invalidation', ${topic})`;
      await pollUntil(
        "the broadcast after the idle period",
        () => Promise.resolve(watched.received.length === 1 ? true : undefined),
        5000,
        20,
      );
      assert.deepEqual(watched.statuses, ["SUBSCRIBED"], "never closed or errored");
      await supabase.removeAllChannels();
    });
  } finally {
    await realtime.stop();
    await gateway.shutdown();
    await serviceSql.end();
    await dropMembers(sql, fixture);
    await sql.end();
  }
});
