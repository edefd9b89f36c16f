/**
 * The nightly schema as each role sees it: RLS on every table, search_path
 * pinned and EXECUTE granted explicitly on every function, an admin reading
 * only their organization's history (and no other organization's counts),
 * and the cache_invalidation_log trigger's notification.
 */
import assert from "node:assert/strict";
import { datasetsBySource } from "../../shared/datasets/registry.ts";
import { runTick } from "../../shared/nightly/invocation.ts";
import { FakeClock } from "../../shared/util/clock.ts";
import { asActor } from "../support/as_role.ts";
import { pollUntil } from "../support/poll.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { listenForUpdates, TICK_AT, withOrganizations } from "./support/harness.ts";
import { testSettings } from "./support/organizations.ts";

const NIGHTLY_DATASETS = datasetsBySource("nightly");

Deno.test("nightly schema: RLS on every table, search_path pinned, EXECUTE granted explicitly", async () => {
  const sql = connectAsSuperuser(1);
  try {
    const tables = await sql<{ name: string; rls: boolean; policies: number }[]>`
      select n.nspname || '.' || c.relname as name, c.relrowsecurity as rls,
        (select count(*)::int from pg_policies p
          where p.schemaname = n.nspname and p.tablename = c.relname) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r'
        and (n.nspname = 'nightly' or (n.nspname = 'public' and c.relname = 'cache_invalidation_log'))
      order by 1`;
    assert.deepEqual(tables.map((t) => t.name), [
      "nightly.organization_runs",
      "nightly.runs",
      "nightly.validation_rules",
      "nightly.webhook_outbox",
      "public.cache_invalidation_log",
    ]);
    for (const table of tables) {
      assert.ok(table.rls && table.policies >= 1, `${table.name}: RLS with policies`);
    }

    const functions = await sql<
      { signature: string; config: string[] | null; definer: boolean; grantees: string[] }[]
    >`
      select p.oid::regprocedure::text as signature, p.proconfig as config, p.prosecdef as definer,
        array(select coalesce(r.rolname, 'public') from aclexplode(p.proacl) a
              left join pg_roles r on r.oid = a.grantee
              where a.privilege_type = 'EXECUTE' and a.grantee <> p.proowner order by 1) as grantees
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'nightly' order by 1`;
    assert.ok(functions.length >= 25, `nightly functions: ${functions.length}`);
    const callableBy: Record<string, string[]> = {};
    for (const fn of functions) {
      assert.ok(fn.config?.includes('search_path=""'), `${fn.signature}: search_path = ''`);
      assert.equal(fn.definer, false, `${fn.signature}: security invoker`);
      assert.ok(!fn.grantees.includes("public") && !fn.grantees.includes("anon"), fn.signature);
      for (const grantee of fn.grantees) {
        (callableBy[grantee] ??= []).push(fn.signature.split("(")[0]!);
      }
    }
    assert.deepEqual(callableBy.authenticated?.sort(), [
      "nightly.due_local_date",
      "nightly.overdue_after",
      "nightly.overdue_organizations",
      "nightly.status",
    ]);
    assert.ok(!callableBy.service_role?.includes("nightly.configure_vault"));
    assert.ok(!callableBy.service_role?.includes("nightly.request_invocation"));

    const [datasets] = await sql<{ names: string[] }[]>`select nightly.dataset_names() as names`;
    assert.deepEqual(datasets!.names, [...NIGHTLY_DATASETS]);
  } finally {
    await sql.end();
  }
});

Deno.test("run history: admins read their organization's, members and anon nothing", async (t) => {
  await withOrganizations([{}, {}], async ([a, b], sql) => {
    await runTick({ sql, settings: testSettings(), clock: new FakeClock(TICK_AT) });
    const asUser = <T>(userId: string, work: Parameters<typeof asActor<T>>[2]) =>
      asActor(sql, { role: "authenticated", userId }, work, { rollback: true });

    await t.step("an admin reads their organization's results and runs", async () => {
      const jobs = await asUser(
        a!.adminId,
        (tx) =>
          tx<{ organization_id: string }[]>`select organization_id from nightly.organization_runs`,
      );
      assert.deepEqual(jobs.map((j) => j.organization_id), [a!.id]);
      const runs = await asUser(
        a!.adminId,
        (tx) => tx<{ id: string; status: string }[]>`select id, status from nightly.runs`,
      );
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.status, "completed");
      const log = await asUser(
        a!.adminId,
        (tx) =>
          tx<
            { organization_id: string }[]
          >`select organization_id from public.cache_invalidation_log`,
      );
      assert.deepEqual(log.map((row) => row.organization_id), [a!.id]);
    });

    await t.step("…but not other organizations' counts", async () => {
      await assert.rejects(
        asUser(a!.adminId, (tx) => tx`select refreshed_count from nightly.runs`),
        /permission denied/,
      );
      await assert.rejects(
        asUser(a!.adminId, (tx) => tx`select * from nightly.webhook_outbox`),
        /permission denied/,
      );
    });

    await t.step("a member reads the update log, not the run history", async () => {
      const jobs = await asUser(b!.memberId, (tx) => tx`select 1 from nightly.organization_runs`);
      assert.equal(jobs.length, 0);
      const runs = await asUser(b!.memberId, (tx) => tx`select id from nightly.runs`);
      assert.equal(runs.length, 0);
      const log = await asUser(
        b!.memberId,
        (tx) =>
          tx<
            { organization_id: string }[]
          >`select organization_id from public.cache_invalidation_log`,
      );
      assert.deepEqual(log.map((row) => row.organization_id), [b!.id]);
    });

    await t.step("anon reads nothing; only the service role writes", async () => {
      await assert.rejects(
        asActor(sql, { role: "anon" }, (tx) => tx`select 1 from nightly.organization_runs`, {
          rollback: true,
        }),
        /permission denied/,
      );
      await assert.rejects(
        asUser(
          a!.adminId,
          (tx) =>
            tx`update nightly.organization_runs set status = 'queued' where organization_id = ${
              a!.id
            }`,
        ),
        /permission denied/,
      );
      await assert.rejects(
        asUser(
          a!.adminId,
          (tx) =>
            tx`insert into public.cache_invalidation_log (organization_id, update_type)
             values (${a!.id}, 'manual')`,
        ),
        /permission denied/,
      );
      await assert.rejects(
        asUser(
          a!.adminId,
          (tx) => tx`select * from nightly.claim_organization_runs('x', 1, now(), '1 minute')`,
        ),
        /permission denied/,
      );
    });
  });
});

Deno.test("cache_invalidation_log notifies nightly_update_complete on insert and update, after commit", async () => {
  await withOrganizations([{}], async ([organization], sql) => {
    const listener = await listenForUpdates(sql);
    try {
      await sql.begin(async (tx) => {
        await tx`insert into public.cache_invalidation_log (organization_id, updated_at, update_type)
                 values (${organization!.id}, '2026-06-15T00:00:01Z', 'nightly_refresh')`;
        throw new Error("roll back");
      }).catch(() => {});
      await sql`insert into public.cache_invalidation_log (organization_id, updated_at, update_type)
                values (${organization!.id}, '2026-06-15T00:00:02Z', 'nightly_refresh')`;
      await sql`update public.cache_invalidation_log set updated_at = '2026-06-16T00:00:03Z'
                 where organization_id = ${organization!.id}`;
      const payloads = await pollUntil("two notifications", () => {
        const mine = listener.payloads.filter((p) => p.organization_id === organization!.id);
        return Promise.resolve(mine.length >= 2 ? mine : undefined);
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(listener.payloads.filter((p) => p.organization_id === organization!.id), [
        {
          organization_id: organization!.id,
          updated_at: "2026-06-15T00:00:02+00:00",
          update_type: "nightly_refresh",
        },
        {
          organization_id: organization!.id,
          updated_at: "2026-06-16T00:00:03+00:00",
          update_type: "nightly_refresh",
        },
      ]);
      assert.equal(payloads.length, 2, "the rolled-back insert notified nobody");
    } finally {
      await listener.stop();
    }
  });
});
