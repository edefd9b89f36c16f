/**
 * The dashboard's config names the local stack's `sb_publishable_…` key
 * (local-stack/keys.ts), not the anon JWT. supabase-js is the arbiter that it
 * works against the local gateway for everything the dashboard does with it:
 * password sign-in (Auth), the admin API (functions, user token + publishable
 * `apikey`) and the organization's private Realtime channel.
 */
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { LOCAL_PUBLISHABLE_KEY } from "../../local-stack/keys.ts";
import { withTwoTenants } from "../functions/datasets_support.ts";
import { connectAsSuperuser, testStack } from "../support/stack.ts";

const PASSWORD = `pw-${crypto.randomUUID()}`;

Deno.test("supabase-js with the publishable key: auth, functions and realtime", async () => {
  await withTwoTenants(async (tenants) => {
    const sql = connectAsSuperuser(1);
    try {
      await sql`
        update auth.users
           set encrypted_password = extensions.crypt(${PASSWORD}, extensions.gen_salt('bf', 4)),
               email_confirmed_at = now(), aud = 'authenticated', role = 'authenticated'
         where id = ${tenants.ownerA}`;
    } finally {
      await sql.end();
    }
    const supabase = createClient(testStack.apiUrl, LOCAL_PUBLISHABLE_KEY, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
    try {
      const wrong = await supabase.auth.signInWithPassword({
        email: `${tenants.ownerA}@tenants.test`,
        password: `${PASSWORD}-wrong`,
      });
      assert.equal(wrong.error?.message, "Invalid login credentials");
      const { data, error } = await supabase.auth.signInWithPassword({
        email: `${tenants.ownerA}@tenants.test`,
        password: PASSWORD,
      });
      assert.equal(error, null);
      assert.ok(data.session?.access_token);

      const answer = await supabase.functions.invoke("cache-admin/organizations", {
        method: "GET",
      });
      assert.equal(answer.error, null, String(answer.error));
      const ids = (answer.data as { organizations: { id: string; role: string }[] })
        .organizations.map((org) => [org.id, org.role]);
      assert.deepEqual(ids, [[tenants.orgA, "owner"]]);

      supabase.realtime.setAuth(data.session.access_token);
      const status = await new Promise<string>((resolve) => {
        supabase.channel(`cache-invalidation:${tenants.orgA}`, { config: { private: true } })
          .subscribe((state) => {
            if (state !== "CLOSED") resolve(state);
          });
      });
      assert.equal(status, "SUBSCRIBED");
    } finally {
      await supabase.removeAllChannels();
      await supabase.auth.signOut({ scope: "local" });
      supabase.realtime.disconnect();
    }
  });
});
