/**
 * End to end with the real clients: a member signs in with supabase-js (the
 * stack's GoTrue), reads through the client package with TanStack Query, and
 * `listenForInvalidations` joins the organization's private Realtime channel.
 * An admin purge, a base-table write and a nightly refresh each reach the
 * listener, invalidate exactly the affected queries, and their refetch returns
 * the new body. A member of B cannot join A's channel; a token refresh keeps
 * the subscription.
 */
import assert from "node:assert/strict";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { QueryObserver } from "@tanstack/query-core";
import {
  datasetQueryOptions,
  type InvalidationListener,
  type ListenerStatus,
  listenForInvalidations,
  NightshiftClient,
  nightshiftKeys,
  type NoticeOutcome,
} from "../../client/src/mod.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import { runTick } from "../../shared/nightly/invocation.ts";
import type { TwoTenants } from "../domain/support/tenants.ts";
import { serviceRoleKey, withTwoTenants } from "../functions/datasets_support.ts";
import { testSettings } from "../nightly/support/organizations.ts";
import { pollUntil } from "../support/poll.ts";
import { connectAsSuperuser, functionUrl, testStack } from "../support/stack.ts";
import { testQueryClient } from "./client_support.ts";

const PASSWORD = `pw-${crypto.randomUUID()}`;
const emailOf = (userId: string) => `${userId}@tenants.test`;

/** Gives the fixture's users a password, as GoTrue stores it. */
async function withPasswords(t: TwoTenants): Promise<void> {
  const sql = connectAsSuperuser(1);
  try {
    await sql`
      update auth.users
         set encrypted_password = extensions.crypt(${PASSWORD}, extensions.gen_salt('bf', 4)),
             email_confirmed_at = now(), aud = 'authenticated', role = 'authenticated'
       where id in (${t.memberA}, ${t.memberB}, ${t.ownerA})`;
  } finally {
    await sql.end();
  }
}

async function signIn(userId: string): Promise<SupabaseClient> {
  const supabase = createClient(testStack.apiUrl, testStack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const { error } = await supabase.auth.signInWithPassword({
    email: emailOf(userId),
    password: PASSWORD,
  });
  assert.equal(error, null);
  return supabase;
}

/** A listener with what it received and the statuses it went through. */
async function listen(
  client: NightshiftClient,
  organizationId: string,
  queryClient = testQueryClient(),
) {
  const outcomes: NoticeOutcome[] = [];
  const statuses: ListenerStatus[] = [];
  const listener: InvalidationListener = await listenForInvalidations({
    client,
    queryClient,
    organizationId,
    onNotice: (outcome) => outcomes.push(outcome),
    onStatus: (status) => statuses.push(status),
  });
  await pollUntil(
    "a terminal channel status",
    () => Promise.resolve(statuses.length > 0 ? true : undefined),
  );
  return { listener, outcomes, statuses, queryClient };
}

function nextOutcome(
  outcomes: NoticeOutcome[],
  from: number,
  cause: string,
): Promise<NoticeOutcome> {
  return pollUntil(
    `a ${cause} notice`,
    () => Promise.resolve(outcomes.slice(from).find((outcome) => outcome.notice?.cause === cause)),
  );
}

Deno.test("admin purge, base-table write and nightly refresh reach the member's queries", async () => {
  await withTwoTenants(async (t) => {
    await withPasswords(t);
    const supabase = await signIn(t.memberA);
    const client = new NightshiftClient(supabase);
    const { listener, outcomes, statuses, queryClient } = await listen(client, t.orgA);
    const suppliers = new QueryObserver(
      queryClient,
      datasetQueryOptions(client, "supplier-data", { organization_id: t.orgA }),
    );
    const dashboard = new QueryObserver(
      queryClient,
      datasetQueryOptions(client, "dashboard-metrics", { organization_id: t.orgA }),
    );
    const unsubscribe = [suppliers.subscribe(() => {}), dashboard.subscribe(() => {})];
    const sql = connectAsSuperuser(1);
    try {
      assert.deepEqual(statuses, ["SUBSCRIBED"]);
      await pollUntil(
        "both queries",
        () =>
          Promise.resolve(suppliers.getCurrentResult().data && dashboard.getCurrentResult().data),
      );

      // (a) An admin purge of one dataset: only its queries, reset and refetched.
      let seen = outcomes.length;
      const dashboardUpdatedAt = dashboard.getCurrentResult().dataUpdatedAt;
      const purge = await fetch(functionUrl("cache-admin/invalidate"), {
        method: "POST",
        headers: { Authorization: `Bearer ${serviceRoleKey}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          organization_id: t.orgA,
          datasets: ["supplier-data"],
          mode: "purge",
        }),
      });
      assert.equal(purge.status, 200, await purge.text());
      const admin = await nextOutcome(outcomes, seen, "admin");
      assert.deepEqual([admin.action, admin.keys], [
        "purge",
        [nightshiftKeys.dataset(t.orgA, "supplier-data")],
      ]);
      assert.ok(suppliers.getCurrentResult().data, "refetched after the reset");
      assert.equal(dashboard.getCurrentResult().dataUpdatedAt, dashboardUpdatedAt, "untouched");

      // (b) A base-table write: the live datasets reading suppliers, with the new body.
      seen = outcomes.length;
      await sql`update public.suppliers set phone = '+45 4242 4242' where id = ${t.usedSupplierA}`;
      const write = await nextOutcome(outcomes, seen, "write");
      assert.ok(write.keys.some((key) => JSON.stringify(key).includes("supplier-data")));
      assert.ok(!write.keys.some((key) => JSON.stringify(key).includes("dashboard-metrics")));
      // The notice's outcome is recorded once invalidateQueries settles; observers hear of
      // the refetched data on TanStack's next notify tick (and a refetch a reconnect or a
      // retry had in flight may still be replacing it): allow 5 s.
      const phone = () =>
        suppliers.getCurrentResult().data?.data.find((row) => row.name === "Used supplier")?.phone;
      await pollUntil(
        "the refetched supplier-data with the new phone",
        () => Promise.resolve(phone() === "+45 4242 4242" ? true : undefined),
        5_000,
      ).catch(() => assert.equal(phone(), "+45 4242 4242"));

      // (c) The nightly refresh: the nightly datasets, with the new snapshot.
      seen = outcomes.length;
      const before = dashboard.getCurrentResult().data!.meta.as_of_date;
      const tomorrowNoon = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      await runTick({
        sql,
        settings: testSettings(),
        clock: new FakeClock(Date.parse(`${tomorrowNoon}T10:00:00Z`)),
      });
      const nightly = await nextOutcome(outcomes, seen, "nightly");
      assert.ok(nightly.keys.some((key) => JSON.stringify(key).includes("dashboard-metrics")));
      assert.ok(!nightly.keys.some((key) => JSON.stringify(key).includes("supplier-data")));
      // Observers hear of the refetched data on TanStack's next notify tick: allow 5 s.
      const asOf = () => dashboard.getCurrentResult().data?.meta.as_of_date;
      await pollUntil(
        "the refetched dashboard-metrics of the new night",
        () => Promise.resolve(asOf() === tomorrowNoon ? true : undefined),
        5_000,
      ).catch(() => assert.equal(asOf(), tomorrowNoon));
      assert.notEqual(asOf(), before);
    } finally {
      unsubscribe.forEach((stop) => stop());
      await listener.stop();
      queryClient.clear();
      await sql.end();
    }
  });
});

Deno.test("a member of B cannot join A's channel", async () => {
  await withTwoTenants(async (t) => {
    await withPasswords(t);
    const client = new NightshiftClient(await signIn(t.memberB));
    const { listener, statuses } = await listen(client, t.orgA);
    try {
      assert.deepEqual(statuses, ["CHANNEL_ERROR"]);
    } finally {
      await listener.stop();
    }
  });
});

Deno.test("a token refresh keeps the subscription", async () => {
  await withTwoTenants(async (t) => {
    await withPasswords(t);
    const supabase = await signIn(t.memberA);
    const client = new NightshiftClient(supabase);
    const { listener, outcomes, statuses } = await listen(client, t.orgA);
    const sql = connectAsSuperuser(1);
    try {
      assert.deepEqual(statuses, ["SUBSCRIBED"]);
      const before = (await supabase.auth.getSession()).data.session!.access_token;
      // A token issued in the same second (same iat and exp) would be the same token.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const { data, error } = await supabase.auth.refreshSession();
      assert.equal(error, null);
      const refreshed = data.session!.access_token;
      assert.notEqual(refreshed, before);
      // supabase-js hands the new token to Realtime (which re-authorizes the joined channel).
      await pollUntil("Realtime has the refreshed token", () =>
        Promise.resolve(
          (supabase.realtime as unknown as { accessTokenValue: string | null }).accessTokenValue ===
              refreshed || undefined,
        ));
      await sql`update public.suppliers set phone = '+45 5555 5555' where id = ${t.usedSupplierA}`;
      const write = await nextOutcome(outcomes, 0, "write");
      assert.equal(write.applied, true);
      assert.deepEqual(statuses, ["SUBSCRIBED"], "no rejoin needed");
    } finally {
      await listener.stop();
      await sql.end();
    }
  });
});

Deno.test("after a reconnect the organization's queries are invalidated (notices may have been missed)", async () => {
  await withTwoTenants(async (t) => {
    await withPasswords(t);
    const supabase = await signIn(t.memberA);
    const client = new NightshiftClient(supabase);
    const { listener, statuses, queryClient } = await listen(client, t.orgA);
    try {
      assert.deepEqual(statuses, ["SUBSCRIBED"]);
      const ownKey = [...nightshiftKeys.dataset(t.orgA, "supplier-data"), {}];
      const otherKey = [...nightshiftKeys.dataset(t.orgB, "supplier-data"), {}];
      queryClient.setQueryData(ownKey, { data: [] });
      queryClient.setQueryData(otherKey, { data: [] });
      // The connection drops (not a deliberate disconnect): realtime-js reconnects and rejoins.
      // (realtime-js 2.119's phoenix socket, as a network failure would close it)
      (supabase.realtime as unknown as { socketAdapter: { socket: { conn: WebSocket } } })
        .socketAdapter.socket.conn.close(4000, "network lost");
      await pollUntil(
        "a second SUBSCRIBED",
        () =>
          Promise.resolve(
            statuses.filter((status) => status === "SUBSCRIBED").length >= 2 || undefined,
          ),
      );
      await pollUntil(
        "the organization's queries invalidated",
        () => Promise.resolve(queryClient.getQueryState(ownKey)?.isInvalidated || undefined),
      );
      assert.equal(queryClient.getQueryState(otherKey)?.isInvalidated, false);
    } finally {
      await listener.stop();
      queryClient.clear();
    }
  });
});
