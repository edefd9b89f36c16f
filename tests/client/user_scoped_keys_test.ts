/**
 * One browser, one supabase-js client and one QueryClient, users of one
 * organization signing in one after another (the token source switched, as
 * with third-party auth, or real GoTrue sign-in and sign-out): nobody ever sees
 * another user's price-alerts or user-preferences rows, from the QueryClient
 * or from the ETag store, and a notice still invalidates the current user's query.
 * The supabase-js session path (auth events) is exercised with real
 * `signInWithPassword` / `signOut` against the stack's GoTrue.
 *
 * The fixture: memberA has preferences (threshold 10 %), ownerA's threshold is
 * 60 % and adminA has none (default 10 %); a 50 % price rise is an alert for
 * memberA and adminA, not for ownerA.
 */
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import fc from "fast-check";
import {
  datasetQueryOptions,
  dropQueriesOnUserChange,
  type EtagStore,
  InvalidationRouter,
  NightshiftClient,
  NightshiftError,
  nightshiftKeys,
  type StoredBody,
} from "../../client/src/mod.ts";
import type { TwoTenants } from "../domain/support/tenants.ts";
import { tokenFor, withTwoTenants } from "../functions/datasets_support.ts";
import { connectAsSuperuser, testStack } from "../support/stack.ts";
import { addPriceRise, testQueryClient } from "./client_support.ts";

/** A browser's one supabase-js client whose signed-in user can be switched. */
async function browser(t: TwoTenants) {
  const tokens = new Map<string, string>();
  for (const user of [t.memberA, t.ownerA, t.adminA]) tokens.set(user, await tokenFor(user));
  let current: string | null = tokens.get(t.memberA)!;
  const accessToken = () => Promise.resolve(current);
  const supabase = createClient(testStack.apiUrl, testStack.anonKey, { accessToken });
  return {
    supabase,
    accessToken,
    /** Signs `user` in (null: signs out, the anon key is sent). */
    signIn: (user: string | null) => {
      current = user === null ? null : tokens.get(user)!;
    },
  };
}

async function withAlertFixture(work: (t: TwoTenants) => Promise<void>): Promise<void> {
  await withTwoTenants(async (t) => {
    const sql = connectAsSuperuser(1);
    try {
      await addPriceRise(sql, t);
      await sql`
        insert into public.user_preferences (organization_id, user_id, price_alert_threshold_percent)
        values (${t.orgA}, ${t.ownerA}, 60)`;
    } finally {
      await sql.end();
    }
    await work(t);
  });
}

/** Whether `user` sees the 50 % rise as an alert. */
function seesAlert(t: TwoTenants, user: string): boolean {
  return user !== t.ownerA;
}

/** A store without `clear`: other users' bodies stay in it, reachable only by their own key. */
class MapStore implements EtagStore {
  readonly entries = new Map<string, StoredBody>();
  get(url: string) {
    return this.entries.get(url);
  }
  set(url: string, stored: StoredBody) {
    this.entries.set(url, stored);
  }
  delete(url: string) {
    this.entries.delete(url);
  }
}

Deno.test("users signing in in turn on one QueryClient never see each other's user-scoped rows", async () => {
  await withAlertFixture(async (t) => {
    const b = await browser(t);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(t.memberA, t.ownerA, t.adminA), { minLength: 2, maxLength: 5 }),
        fc.boolean(),
        async (users, dropOnChange) => {
          b.signIn(users[0]!);
          const client = new NightshiftClient(b.supabase, { accessToken: b.accessToken });
          await client.ready;
          const queryClient = testQueryClient();
          if (dropOnChange) dropQueriesOnUserChange(client, queryClient);
          try {
            for (const user of users) {
              b.signIn(user);
              await client.refreshUser();
              assert.equal(client.userId, user);
              const query = { organization_id: t.orgA };
              const preferences = await queryClient.fetchQuery(
                datasetQueryOptions(client, "user-preferences", query),
              );
              for (const row of preferences.data) assert.equal(row.user_id, user);
              const alerts = await queryClient.fetchQuery(
                datasetQueryOptions(client, "price-alerts", query),
              );
              assert.equal(
                alerts.data.some((row) => row.product_id === t.usedProductA),
                seesAlert(t, user),
                `price-alerts of ${user}`,
              );
            }
          } finally {
            client.close();
            queryClient.clear();
          }
        },
      ),
      { numRuns: 6 },
    );
  });
});

Deno.test("a user change clears the ETag store and drops the QueryClient's Nightshift queries", async () => {
  await withAlertFixture(async (t) => {
    const b = await browser(t);
    const client = new NightshiftClient(b.supabase, { accessToken: b.accessToken });
    await client.ready;
    const queryClient = testQueryClient();
    const stop = dropQueriesOnUserChange(client, queryClient);
    try {
      const query = { organization_id: t.orgA };
      await queryClient.fetchQuery(datasetQueryOptions(client, "price-alerts", query));
      await queryClient.fetchQuery(datasetQueryOptions(client, "supplier-data", query));
      assert.ok(
        queryClient.getQueryCache().findAll({ queryKey: nightshiftKeys.all() }).length >= 2,
      );
      assert.equal((client.etagStore as { size?: number }).size, 2);
      // Refreshing the same user drops nothing.
      await client.refreshUser();
      assert.equal((client.etagStore as { size?: number }).size, 2);
      b.signIn(null);
      assert.equal(await client.refreshUser(), null);
      assert.equal((client.etagStore as { size?: number }).size, 0);
      assert.deepEqual(queryClient.getQueryCache().findAll({ queryKey: nightshiftKeys.all() }), []);
    } finally {
      stop();
      client.close();
      queryClient.clear();
    }
  });
});

Deno.test("the ETag store never returns one user's body to another, even one that keeps every entry", async () => {
  await withAlertFixture(async (t) => {
    const b = await browser(t);
    const store = new MapStore();
    const client = new NightshiftClient(b.supabase, {
      accessToken: b.accessToken,
      etagStore: store,
    });
    await client.ready;
    try {
      const query = { organization_id: t.orgA };
      const first = await client.fetchDataset("price-alerts", query);
      assert.equal(first.revalidated, false);
      assert.equal((await client.fetchDataset("price-alerts", query)).revalidated, true);
      b.signIn(t.ownerA);
      const owner = await client.fetchDataset("price-alerts", query);
      assert.equal(owner.revalidated, false, "the owner's first read is a full body");
      assert.equal(owner.data.some((row) => row.product_id === t.usedProductA), false);
      assert.notEqual(owner.etag, first.etag);
      const again = await client.fetchDataset("price-alerts", query);
      assert.equal(again.revalidated, true);
      assert.equal(again.data.some((row) => row.product_id === t.usedProductA), false);
      b.signIn(t.memberA);
      const member = await client.fetchDataset("price-alerts", query);
      assert.equal(member.data.some((row) => row.product_id === t.usedProductA), true);
      const preferences = await client.fetchDataset("user-preferences", query);
      for (const row of preferences.data) assert.equal(row.user_id, t.memberA);
      b.signIn(t.adminA);
      const admin = await client.fetchDataset("user-preferences", query);
      for (const row of admin.data) assert.equal(row.user_id, t.adminA);
      // Both users' bodies are kept, each under its own user.
      assert.equal([...store.entries.keys()].filter((k) => k.includes("price-alerts")).length, 2);
    } finally {
      client.close();
    }
  });
});

Deno.test("a query keyed for one user is not fetched as another", async () => {
  await withAlertFixture(async (t) => {
    const b = await browser(t);
    const client = new NightshiftClient(b.supabase, { accessToken: b.accessToken });
    await client.ready;
    const queryClient = testQueryClient();
    try {
      const options = datasetQueryOptions(client, "price-alerts", { organization_id: t.orgA });
      assert.deepEqual(options.queryKey.slice(0, 6), [
        ...nightshiftKeys.userDataset(t.orgA, "price-alerts", t.memberA),
      ]);
      // Another user signs in between the key and the fetch (no auth event seen yet).
      b.signIn(t.ownerA);
      await assert.rejects(
        queryClient.fetchQuery(options),
        (error: unknown) =>
          error instanceof NightshiftError && error.code === "user_changed" && error.isClientError,
      );
      assert.equal(queryClient.getQueryData(options.queryKey), undefined);
      assert.equal(client.userId, t.ownerA);
    } finally {
      client.close();
      queryClient.clear();
    }
  });
});

Deno.test("a price-alerts notice invalidates the current user's query", async () => {
  await withAlertFixture(async (t) => {
    const b = await browser(t);
    const client = new NightshiftClient(b.supabase, { accessToken: b.accessToken });
    await client.ready;
    const queryClient = testQueryClient();
    try {
      b.signIn(t.ownerA);
      await client.refreshUser();
      const options = datasetQueryOptions(client, "price-alerts", { organization_id: t.orgA });
      await queryClient.fetchQuery(options);
      const other = datasetQueryOptions(client, "supplier-data", { organization_id: t.orgA });
      await queryClient.fetchQuery(other);
      const outcome = await new InvalidationRouter(queryClient, t.orgA, client).handle({
        v: 1,
        seq: 1,
        organization_id: t.orgA,
        cause: "write",
        action: "expire",
        datasets: ["price-alerts"],
        tags: [],
        at: new Date().toISOString(),
      });
      assert.deepEqual(outcome.keys, [nightshiftKeys.dataset(t.orgA, "price-alerts")]);
      assert.equal(queryClient.getQueryState(options.queryKey)?.isInvalidated, true);
      assert.equal(queryClient.getQueryState(other.queryKey)?.isInvalidated, false);
    } finally {
      client.close();
      queryClient.clear();
    }
  });
});

const PASSWORD = `pw-${crypto.randomUUID()}`;
const emailOf = (userId: string) => `${userId}@tenants.test`;

/** Gives the fixture's users of A a password, as GoTrue stores it. */
async function withPasswords(t: TwoTenants): Promise<void> {
  const sql = connectAsSuperuser(1);
  try {
    await sql`
      update auth.users
         set encrypted_password = extensions.crypt(${PASSWORD}, extensions.gen_salt('bf', 4)),
             email_confirmed_at = now(), aud = 'authenticated', role = 'authenticated'
       where id in (${t.memberA}, ${t.ownerA}, ${t.adminA})`;
  } finally {
    await sql.end();
  }
}

Deno.test("with supabase-js sign-in (GoTrue), users in turn on one client and QueryClient see only their rows", async () => {
  await withAlertFixture(async (t) => {
    await withPasswords(t);
    const supabase = createClient(testStack.apiUrl, testStack.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
    const client = new NightshiftClient(supabase);
    await client.ready;
    assert.equal(client.userId, null);
    const queryClient = testQueryClient();
    const stop = dropQueriesOnUserChange(client, queryClient);
    const signIn = async (user: string) => {
      const { error } = await supabase.auth.signInWithPassword({
        email: emailOf(user),
        password: PASSWORD,
      });
      assert.equal(error, null);
      // The SIGNED_IN event was handled before signInWithPassword resolved.
      assert.equal(client.userId, user);
    };
    const query = { organization_id: t.orgA };
    const read = async (user: string) => {
      const preferences = await queryClient.fetchQuery(
        datasetQueryOptions(client, "user-preferences", query),
      );
      for (const row of preferences.data) assert.equal(row.user_id, user);
      const alerts = await queryClient.fetchQuery(
        datasetQueryOptions(client, "price-alerts", query),
      );
      assert.equal(
        alerts.data.some((row) => row.product_id === t.usedProductA),
        seesAlert(t, user),
      );
    };
    try {
      await signIn(t.memberA);
      await read(t.memberA);
      assert.equal((client.etagStore as { size?: number }).size, 2);
      await supabase.auth.signOut({ scope: "local" });
      // SIGNED_OUT was handled before signOut resolved: nothing of memberA is left.
      assert.equal(client.userId, null);
      assert.equal((client.etagStore as { size?: number }).size, 0);
      assert.deepEqual(queryClient.getQueryCache().findAll({ queryKey: nightshiftKeys.all() }), []);
      await assert.rejects(
        queryClient.fetchQuery(datasetQueryOptions(client, "price-alerts", query)),
        (error: unknown) => error instanceof NightshiftError && error.status === 401,
      );
      await signIn(t.ownerA);
      await read(t.ownerA);
      // Another user signing in without a sign-out in between.
      await signIn(t.adminA);
      await read(t.adminA);
    } finally {
      stop();
      client.close();
      queryClient.clear();
      await supabase.auth.signOut({ scope: "local" });
    }
  });
});
