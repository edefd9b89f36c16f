/**
 * `cache_admin.invalidation_audit` and `cache_admin.entries`, the SQL behind the
 * dashboard's `/invalidations` and `/entries`, called as the roles that use them
 * (`service_role`, `authenticated` with an owner's, an admin's, a member's claims):
 * the scope each gets, the shape, the state each entry is in (the same as
 * `cache.read` decides), and that for users Row Level Security still guards the
 * tables underneath.
 */
import assert from "node:assert/strict";
import type { Sql, TransactionSql } from "postgres";
import { type Actor, asActor } from "../support/as_role.ts";
import { connectAsSuperuser } from "../support/stack.ts";

interface Fixture {
  readonly orgA: string;
  readonly orgB: string;
  readonly ownerA: Actor;
  readonly adminA: Actor;
  readonly memberA: Actor;
  readonly adminB: Actor;
}

const user = (userId: string): Actor => ({ role: "authenticated", userId });

/** Two organizations with an owner, an admin, a member of A and an admin of B; entries and audit rows in both. */
async function withFixture(sql: Sql, work: (fixture: Fixture) => Promise<void>): Promise<void> {
  const [orgA, orgB, ownerA, adminA, memberA, adminB] = Array.from(
    { length: 6 },
    () => crypto.randomUUID(),
  ) as [string, string, string, string, string, string];
  const users = [ownerA, adminA, memberA, adminB];
  try {
    await sql`insert into auth.users (id, email) select id, id || '@reads.test' from unnest(${users}::uuid[]) as id`;
    await sql`insert into public.organizations (id, name) values (${orgA}, 'Reads A'), (${orgB}, 'Reads B')`;
    await sql`insert into public.organization_members (organization_id, user_id, role) values
      (${orgA}, ${ownerA}, 'owner'), (${orgA}, ${adminA}, 'admin'), (${orgA}, ${memberA}, 'member'),
      (${orgB}, ${adminB}, 'admin')`;
    for (const org of [orgA, orgB]) {
      for (
        const [name, hits, fresh, expires] of [
          ["fresh", 5, "1 hour", "2 hours"],
          ["stale", 3, "-1 minute", "1 hour"],
          ["expired", 2, "-2 hours", "-1 hour"],
          ["purged", 1, "1 hour", "2 hours"],
        ] as const
      ) {
        await sql`
          insert into cache.entries (key, organization_id, dataset, body, etag, tag_versions,
            created_at, fresh_until, expires_at, hit_count)
          values (${`${org}:price-alerts:${name}`}, ${org}, 'price-alerts', ${`{"n":"${name}"}`}, '"e"',
            ${
          sql.json({
            [`org:${org}`]: 0,
            [`org:${org}:dataset:price-alerts`]: 0,
            [`org:${org}:tag:${name}`]: 0,
          })
        }, now() - interval '3 hours', now() + ${fresh}::interval, now() + ${expires}::interval,
            ${hits})`;
      }
      await sql`select cache.invalidate(${org}::uuid, null, '{purged}', 'purge', 'admin',
        '{}', null, 'service_role')`;
      await sql`select cache.invalidate(${org}::uuid, '{price-alerts}', null, 'expire', 'write')`;
    }
    await work({
      orgA,
      orgB,
      ownerA: user(ownerA),
      adminA: user(adminA),
      memberA: user(memberA),
      adminB: user(adminB),
    });
  } finally {
    await sql`delete from cache.entries where organization_id in (${orgA}, ${orgB})`;
    await sql`delete from cache.invalidation_audit where organization_id in (${orgA}, ${orgB})`;
    await sql`delete from public.organizations where id in (${orgA}, ${orgB})`;
    await sql`delete from auth.users where id = any(${users}::uuid[])`;
  }
}

/** The SQLSTATE and message `work` fails with as `actor` (fails the test when it succeeds). */
async function refusal(
  sql: Sql,
  actor: Actor,
  work: (tx: TransactionSql) => Promise<unknown>,
): Promise<{ code: string; message: string }> {
  const error = await asActor(sql, actor, work, { rollback: true }).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  assert.ok(error, `${JSON.stringify(actor)} was not refused`);
  return { code: error.code, message: error.message };
}

Deno.test("cache_admin.entries and cache_admin.invalidation_audit as the roles that use them", async (t) => {
  const sql = connectAsSuperuser(2);
  try {
    await withFixture(sql, async (f) => {
      const entriesOf = (actor: Actor, org: string | null, tag: string | null = null) =>
        asActor(
          sql,
          actor,
          (tx) =>
            tx<{ key: string; organization_id: string; status: string; bytes: string }[]>`
            select * from cache_admin.entries(${org}::uuid, ${tag}::text, 500)`,
          {
            rollback: true,
          },
        );
      const auditOf = (actor: Actor, org: string | null, cause = "all") =>
        asActor(sql, actor, (tx) =>
          tx<{ organization_id: string; cause: string }[]>`
            select * from cache_admin.invalidation_audit(${org}::uuid, ${cause}, 500)`, {
          rollback: true,
        });

      await t.step(
        "an owner and an admin see their organization, with each entry's state",
        async () => {
          for (const actor of [f.ownerA, f.adminA]) {
            const rows = await entriesOf(actor, f.orgA);
            assert.deepEqual(
              rows.map((row) => [row.key.split(":").at(-1), row.status]),
              [["fresh", "stale"], ["stale", "stale"], ["expired", "expired"], [
                "purged",
                "purged",
              ]],
              "most hit first; the write expired every live entry, the purge purged one",
            );
            assert.ok(rows.every((row) => row.organization_id === f.orgA));
            const [fresh] = rows;
            assert.equal(Number(fresh!.bytes), '{"n":"fresh"}'.length);
            const audit = await auditOf(actor, f.orgA);
            assert.deepEqual(audit.map((row) => row.cause), ["write", "admin"]);
            assert.deepEqual(
              (await auditOf(actor, f.orgA, "admin")).map((row) => row.cause),
              ["admin"],
            );
          }
        },
      );

      await t.step(
        "a tag narrows the entries; sizes and sorted tags come without the body",
        async () => {
          const rows = await asActor(
            sql,
            f.ownerA,
            (tx) =>
              tx<{ key: string; tags: string[] }[]>`
            select key, tags from cache_admin.entries(${f.orgA}::uuid, ${`org:${f.orgA}:tag:stale`})`,
            {
              rollback: true,
            },
          );
          assert.deepEqual(rows.map((row) => row.key), [`${f.orgA}:price-alerts:stale`]);
          assert.deepEqual(rows[0]!.tags, [
            `org:${f.orgA}`,
            `org:${f.orgA}:dataset:price-alerts`,
            `org:${f.orgA}:tag:stale`,
          ]);
        },
      );

      await t.step(
        "another organization, a member, a user without organization: refused",
        async () => {
          for (
            const [actor, org, code] of [
              [f.ownerA, f.orgB, "42501"],
              [f.adminB, f.orgA, "42501"],
              [f.memberA, f.orgA, "42501"],
              [f.ownerA, null, "22023"],
            ] as const
          ) {
            for (
              const call of [
                (tx: TransactionSql) => tx`select * from cache_admin.entries(${org}::uuid)`,
                (tx: TransactionSql) =>
                  tx`select * from cache_admin.invalidation_audit(${org}::uuid)`,
              ]
            ) {
              const error = await refusal(sql, actor, call);
              assert.equal(error.code, code, error.message);
              assert.match(
                error.message,
                code === "42501"
                  ? /^Not an owner or admin of organization/
                  : /^Missing organization_id/,
              );
            }
          }
        },
      );

      await t.step("the service role: one organization, or all of them", async () => {
        const service: Actor = { role: "service_role" };
        assert.equal((await entriesOf(service, f.orgB)).length, 4);
        const all = await entriesOf(service, null);
        assert.ok(all.some((row) => row.organization_id === f.orgA));
        assert.ok(all.some((row) => row.organization_id === f.orgB));
        const audit = await auditOf(service, null);
        assert.ok(audit.some((row) => row.organization_id === f.orgB));
      });

      await t.step("anon may not call them", async () => {
        for (
          const call of [
            (tx: TransactionSql) => tx`select * from cache_admin.entries(${f.orgA}::uuid)`,
            (tx: TransactionSql) =>
              tx`select * from cache_admin.invalidation_audit(${f.orgA}::uuid)`,
          ]
        ) {
          assert.equal((await refusal(sql, { role: "anon" }, call)).code, "42501");
        }
      });

      await t.step("bad input: 22023", async () => {
        for (
          const call of [
            (tx: TransactionSql) => tx`select * from cache_admin.entries(${f.orgA}::uuid, null, 0)`,
            (tx: TransactionSql) => tx`select * from cache_admin.entries(${f.orgA}::uuid, '')`,
            (tx: TransactionSql) =>
              tx`select * from cache_admin.invalidation_audit(${f.orgA}::uuid, 'cron')`,
            (tx: TransactionSql) =>
              tx`select * from cache_admin.invalidation_audit(${f.orgA}::uuid, 'all', 501)`,
          ]
        ) {
          assert.equal((await refusal(sql, { role: "service_role" }, call)).code, "22023");
        }
      });

      await t.step("for users, RLS still guards the tables underneath", async () => {
        const direct = (actor: Actor) =>
          asActor(sql, actor, async (tx) => ({
            entries: await tx<{ organization_id: string }[]>`
              select organization_id from cache.entries where organization_id in (${f.orgA}, ${f.orgB})`,
            audit: await tx<{ organization_id: string }[]>`
              select organization_id from cache.invalidation_audit
               where organization_id in (${f.orgA}, ${f.orgB})`,
            tags: await tx<{ tag: string }[]>`
              select tag from cache.tag_versions
               where starts_with(tag, ${`org:${f.orgA}`}) or starts_with(tag, ${`org:${f.orgB}`})`,
          }), { rollback: true });
        const asOwner = await direct(f.ownerA);
        assert.ok(
          asOwner.entries.length === 4 &&
            asOwner.entries.every((r) => r.organization_id === f.orgA),
        );
        assert.ok(
          asOwner.audit.length === 2 && asOwner.audit.every((r) => r.organization_id === f.orgA),
        );
        assert.ok(
          asOwner.tags.length > 0 && asOwner.tags.every((r) => r.tag.startsWith(`org:${f.orgA}`)),
        );
        const asMember = await direct(f.memberA);
        assert.deepEqual(
          [asMember.entries.length, asMember.audit.length, asMember.tags.length],
          [0, 0, 0],
        );
        for (
          const statement of [
            (tx: TransactionSql) => tx`select body from cache.entries`,
            (tx: TransactionSql) => tx`select etag from cache.entries`,
            (tx: TransactionSql) => tx`delete from cache.entries`,
            (tx: TransactionSql) => tx`update cache.tag_versions set version = version + 1`,
            (tx: TransactionSql) =>
              tx`insert into cache.invalidation_audit (organization_id, actor_role, mode, bumped)
               values (${f.orgA}::uuid, 'owner', 'expire', '{}')`,
            (tx: TransactionSql) =>
              tx`select * from cache.read(${`${f.orgA}:price-alerts:fresh`}, ${f.orgA}::uuid)`,
            (tx: TransactionSql) => tx`select * from cache.leases`,
          ]
        ) {
          assert.equal((await refusal(sql, f.ownerA, statement)).code, "42501");
        }
      });

      await t.step("each state is the one cache.read decides", async () => {
        const [mismatches] = await sql`
          select count(*)::int as count
          from cache_admin.entries(${f.orgA}::uuid, null, 500) as listed
          join lateral cache.read(listed.key, listed.organization_id, now()) as read on true
          where read.status is distinct from listed.status`;
        assert.equal(mismatches!.count, 0);
      });
    });
  } finally {
    await sql.end();
  }
});
