/**
 * MembershipChecker against the real database: single-flight per (user,
 * organization) in a process, bounded reuse of positive answers, no reuse of
 * negative ones. Queries are counted by wrapping the client.
 */
import assert from "node:assert/strict";
import type { Sql } from "postgres";
import { FakeClock } from "../../shared/util/clock.ts";
import { MembershipChecker } from "../../shared/datasets/membership.ts";
import { createTwoTenants, dropTwoTenants } from "../domain/support/tenants.ts";
import { connectAsSuperuser } from "../support/stack.ts";

/** `sql` with a count of the statements sent through it as a tagged template. */
function counting(sql: Sql): { sql: Sql; queries: () => number } {
  let queries = 0;
  const wrapped = new Proxy(sql, {
    apply(target, thisArg, args) {
      queries++;
      return Reflect.apply(target, thisArg, args);
    },
  });
  return { sql: wrapped, queries: () => queries };
}

Deno.test("MembershipChecker", async (t) => {
  const admin = connectAsSuperuser(4);
  const tenants = await createTwoTenants(admin);
  try {
    await t.step("a burst of concurrent checks asks once per user and organization", async () => {
      const client = counting(admin);
      const checker = new MembershipChecker(client.sql);
      const burst = (user: string, organization: string) =>
        Promise.all(Array.from({ length: 200 }, () => checker.isMember(user, organization)));
      const [members, admins, outsiders, otherOrg] = await Promise.all([
        burst(tenants.memberA, tenants.orgA),
        burst(tenants.adminA, tenants.orgA),
        burst(tenants.outsider, tenants.orgA),
        burst(tenants.memberA, tenants.orgB),
      ]);
      assert.ok(members.every((answer) => answer === true));
      assert.ok(admins.every((answer) => answer === true));
      assert.ok(outsiders.every((answer) => answer === false));
      assert.ok(otherOrg.every((answer) => answer === false));
      assert.equal(client.queries(), 4);
      // A confirmed membership is reused; a refusal is not.
      assert.equal(await checker.isMember(tenants.memberA, tenants.orgA), true);
      assert.equal(await checker.isMember(tenants.outsider, tenants.orgA), false);
      assert.equal(client.queries(), 5);
    });

    await t.step("a confirmed membership is reused for ttlMs only", async () => {
      const clock = new FakeClock(Date.now());
      const client = counting(admin);
      const checker = new MembershipChecker(client.sql, { ttlMs: 5_000, clock });
      assert.equal(await checker.isMember(tenants.memberA, tenants.orgA), true);
      await admin`
        delete from public.organization_members
        where organization_id = ${tenants.orgA} and user_id = ${tenants.memberA}`;
      clock.advance(4_999);
      assert.equal(await checker.isMember(tenants.memberA, tenants.orgA), true, "within the bound");
      assert.equal(client.queries(), 1);
      clock.advance(1);
      assert.equal(await checker.isMember(tenants.memberA, tenants.orgA), false, "past the bound");
      assert.equal(client.queries(), 2);
      await admin`
        insert into public.organization_members (organization_id, user_id, role)
        values (${tenants.orgA}, ${tenants.memberA}, 'member')`;
      assert.equal(
        await checker.isMember(tenants.memberA, tenants.orgA),
        true,
        "a new member at once",
      );
    });

    await t.step("a failed check is shared by the checks waiting on it, then retried", async () => {
      let fail = true;
      let queries = 0;
      const flaky = new Proxy(admin, {
        apply(target, thisArg, args) {
          queries++;
          if (fail) return Promise.reject(new Error("connection lost"));
          return Reflect.apply(target, thisArg, args);
        },
      });
      const checker = new MembershipChecker(flaky);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => checker.isMember(tenants.adminA, tenants.orgA)),
      );
      assert.ok(results.every((result) => result.status === "rejected"));
      assert.equal(queries, 1);
      fail = false;
      assert.equal(await checker.isMember(tenants.adminA, tenants.orgA), true);
      assert.equal(queries, 2);
    });
  } finally {
    await dropTwoTenants(admin, tenants);
    await admin.end();
  }
});
