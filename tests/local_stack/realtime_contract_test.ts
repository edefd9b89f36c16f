/**
 * The Realtime emulation against the real supabase-js (pinned in
 * import_map.json; realtime-js speaks protocol 2.0.0). Pins supabase/realtime
 * `lib/realtime_web/channels/realtime_channel.ex` (join, refused-join reason,
 * `access_token`, `confirm_token`, `shutdown_response`),
 * `lib/realtime/tenants/authorization.ex` (RLS read check as the user with
 * `realtime.topic` set), `lib/realtime/tenants/replication_connection.ex`
 * (committed inserts of realtime.messages, commit order, `meta.id`) and
 * `lib/realtime_web/socket/v2_serializer.ex` (binary user broadcasts).
 */
import assert from "node:assert/strict";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { mintUserToken } from "../../local-stack/keys.ts";
import { pollUntil } from "../support/poll.ts";
import { connectAsPostgres, testStack } from "../support/stack.ts";
import { subscribePrivate } from "./support/channels.ts";
import { createMembers, dropMembers, invalidationTopic } from "./support/members.ts";

function waitFor(description: string, check: () => boolean, timeoutMs: number) {
  return pollUntil(description, () => Promise.resolve(check() ? true : undefined), timeoutMs, 20);
}

function client(): SupabaseClient {
  return createClient(testStack.apiUrl, testStack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

async function signedIn(email: string, password: string): Promise<SupabaseClient> {
  const supabase = client();
  const { error } = await supabase.auth.signInWithPassword({ email, password });
  assert.equal(error, null);
  return supabase;
}

Deno.test("a member receives committed broadcasts of their organization, in commit order", async () => {
  const sql = connectAsPostgres();
  const fixture = await createMembers(sql);
  const supabase = await signedIn(fixture.memberA.email, fixture.password);
  try {
    const topic = invalidationTopic(fixture.orgA);
    const { watched, status, error } = await subscribePrivate(supabase, topic);
    assert.equal(status, "SUBSCRIBED", String(error));

    await sql.begin(async (tx) => {
      await tx`select realtime.send('{"n": 0}'::jsonb, 'cache_invalidation', ${topic}, true)`;
      await tx`select 1/0`;
    }).catch(() => {});
    for (const n of [1, 2, 3]) {
      await sql`select realtime.send(${sql.json({ n })}, 'cache_invalidation', ${topic}, true)`;
    }
    await sql`select realtime.send('{"n": 9}'::jsonb, 'other_event', ${topic}, true)`;
    await sql`select realtime.send('{"n": 8}'::jsonb, 'cache_invalidation', ${topic}, false)`;
    await waitFor("watched.received.length >= 3", () => watched.received.length >= 3, 5000);
    await sql`select realtime.send('{"n": 4}'::jsonb, 'cache_invalidation', ${topic}, true)`;
    await waitFor("watched.received.length >= 4", () => watched.received.length >= 4, 5000);

    assert.deepEqual(watched.received.map((m) => m.payload.n), [1, 2, 3, 4]);
    const [row] = await sql<{ id: string }[]>`
      select id::text from realtime.messages where topic = ${topic} and payload ->> 'n' = '1'`;
    assert.equal(watched.received[0]!.meta?.id, row!.id, "meta.id is the message id");
    assert.equal(watched.received[0]!.event, "cache_invalidation");
  } finally {
    await supabase.removeAllChannels();
    await dropMembers(sql, fixture);
    await sql.end();
  }
});

Deno.test("a member of another organization is refused with Realtime's reply", async () => {
  const sql = connectAsPostgres();
  const fixture = await createMembers(sql);
  const supabase = await signedIn(fixture.memberB.email, fixture.password);
  try {
    const topic = invalidationTopic(fixture.orgA);
    const { status, error } = await subscribePrivate(supabase, topic);
    assert.equal(status, "CHANNEL_ERROR");
    const reason =
      `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`;
    assert.equal(error?.message, reason);
    assert.deepEqual(error?.cause, { reason });

    const { status: own } = await subscribePrivate(supabase, invalidationTopic(fixture.orgB));
    assert.equal(own, "SUBSCRIBED", "the same user may join their own organization's topic");
  } finally {
    await supabase.removeAllChannels();
    await dropMembers(sql, fixture);
    await sql.end();
  }
});

Deno.test("setAuth with a fresh token keeps a subscription past the old token's expiry", async (t) => {
  const sql = connectAsPostgres();
  const fixture = await createMembers(sql);
  const topic = invalidationTopic(fixture.orgA);
  const token = (expiresInSeconds: number) =>
    mintUserToken({ userId: fixture.memberA.id, email: fixture.memberA.email, expiresInSeconds });
  /**
   * A client whose tokens come from `current` (supabase-js's `accessToken`
   * option): `realtime.setAuth()` reads it and pushes `access_token` when it changed.
   */
  const clientWith = async (current: { token: string }) => {
    const supabase = createClient(testStack.apiUrl, testStack.anonKey, {
      accessToken: () => Promise.resolve(current.token),
    });
    await supabase.realtime.setAuth(); // before joining, as for any private channel
    return supabase;
  };
  try {
    await t.step("without a refresh the channel is shut down at expiry", async () => {
      const supabase = await clientWith({ token: await token(2) });
      const { watched, status, error } = await subscribePrivate(supabase, topic);
      assert.equal(status, "SUBSCRIBED", error?.message);
      await waitFor("a system message", () => watched.systemMessages.length > 0, 6000);
      const message = watched.systemMessages[0]!;
      assert.equal(message.status, "error");
      assert.match(String(message.message), /^Token has expired \d+ seconds ago$/);
      await supabase.removeAllChannels();
    });
    await t.step("with a refresh before expiry it keeps receiving", async () => {
      const current = { token: await token(2) };
      const supabase = await clientWith(current);
      const { watched, status, error } = await subscribePrivate(supabase, topic);
      assert.equal(status, "SUBSCRIBED", error?.message);
      current.token = await token(60);
      await supabase.realtime.setAuth();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await sql`select realtime.send('{"after": "expiry"}'::jsonb, 'cache_invalidation', ${topic})`;
      await waitFor("the broadcast after expiry", () => watched.received.length === 1, 5000);
      assert.deepEqual(watched.systemMessages, []);
      assert.equal(watched.channel.state, "joined");
      await supabase.removeAllChannels();
    });
    await t.step("a GoTrue refresh reaches Realtime through supabase-js", async () => {
      const supabase = await signedIn(fixture.memberA.email, fixture.password);
      const { watched, status } = await subscribePrivate(supabase, topic);
      assert.equal(status, "SUBSCRIBED");
      const { data } = await supabase.auth.refreshSession();
      await waitFor(
        "supabase-js to hand the refreshed token to Realtime",
        () => supabase.realtime.accessTokenValue === data.session!.access_token,
        5000,
      );
      await sql`select realtime.send('{"after": "refresh"}'::jsonb, 'cache_invalidation', ${topic})`;
      await waitFor("the broadcast after the refresh", () => watched.received.length === 1, 5000);
      assert.deepEqual(watched.systemMessages, []);
      await supabase.removeAllChannels();
    });
  } finally {
    await dropMembers(sql, fixture);
    await sql.end();
  }
});

Deno.test("an owner's purge through cache-admin reaches a signed-in member's channel", async () => {
  const sql = connectAsPostgres();
  const fixture = await createMembers(sql);
  const member = await signedIn(fixture.memberA.email, fixture.password);
  const owner = await signedIn(fixture.ownerA.email, fixture.password);
  try {
    const { watched, status } = await subscribePrivate(member, invalidationTopic(fixture.orgA));
    assert.equal(status, "SUBSCRIBED");
    const { data, error } = await owner.functions.invoke("cache-admin/invalidate", {
      body: {
        organization_id: fixture.orgA,
        datasets: ["supplier-data"],
        mode: "purge",
        reason: "realtime contract test",
      },
    });
    assert.equal(error, null, String(error));
    assert.equal(data.mode, "purge");
    await waitFor("the purge broadcast", () => watched.received.length === 1, 5000);
    const notice = watched.received[0]!;
    assert.equal(notice.event, "cache_invalidation");
    assert.equal(notice.payload.organization_id, fixture.orgA);
  } finally {
    await member.removeAllChannels();
    await dropMembers(sql, fixture);
    await sql.end();
  }
});

Deno.test("a public channel gets only public messages of its topic", async () => {
  const sql = connectAsPostgres();
  const topic = `public-test:${crypto.randomUUID()}`;
  const supabase = client();
  try {
    const received: unknown[] = [];
    const joined = Promise.withResolvers<string>();
    supabase.channel(topic)
      .on("broadcast", { event: "note" }, (message) => received.push(message.payload))
      .subscribe((status) => joined.resolve(status));
    assert.equal(await joined.promise, "SUBSCRIBED");
    await sql`select realtime.send('{"p": "private"}'::jsonb, 'note', ${topic}, true)`;
    await sql`select realtime.send('{"p": "public"}'::jsonb, 'note', ${topic}, false)`;
    await sql`select realtime.send('{"p": "last"}'::jsonb, 'note', ${topic}, false)`;
    await waitFor("two public messages", () => received.length >= 2, 5000);
    assert.deepEqual(received.map((payload) => (payload as { p: string }).p), ["public", "last"]);
  } finally {
    await supabase.removeAllChannels();
    await sql.end();
  }
});
