/**
 * The cache_admin schema: the hourly cleanup job (registered once, its command
 * works), the interval rule, confirmation tokens, and who may touch what.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Sql, TransactionSql } from "postgres";
import { migrationsDir } from "../../local-stack/migrations.ts";
import { type Actor, asActor } from "../support/as_role.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { newOrganizationId } from "./support.ts";

const JOB = "nightshift-cache-cleanup";
const HOURLY_MIGRATION = join(migrationsDir, "20261121040200_cache_cleanup_hourly.sql");

/** Runs `work` in a transaction that is always rolled back. */
async function rolledBack(sql: Sql, work: (tx: TransactionSql) => Promise<void>): Promise<void> {
  const marker = Symbol("rollback");
  await sql.begin(async (tx) => {
    await work(tx);
    throw marker;
  }).catch((error) => {
    if (error !== marker) throw error;
  });
}

async function cleanupJobs(sql: Sql | TransactionSql) {
  return await sql<{ jobname: string; schedule: string; command: string; username: string }[]>`
    select jobname, schedule, command, username from cron.job
    where jobname = ${JOB} or command ilike '%cleanup%'`;
}

Deno.test("the cache cleanup is one hourly pg_cron job, also when its migration runs again", async () => {
  const sql = connectAsSuperuser(1);
  try {
    const expected = [{
      jobname: JOB,
      schedule: "0 * * * *",
      command: "select * from cache_admin.run_scheduled_cleanup()",
      username: "postgres",
    }];
    assert.deepEqual((await cleanupJobs(sql)).map((job) => ({ ...job })), expected);
    await rolledBack(sql, async (tx) => {
      const migration = Deno.readTextFileSync(HOURLY_MIGRATION);
      await tx.unsafe(migration).simple();
      await tx.unsafe(migration).simple();
      assert.deepEqual((await cleanupJobs(tx)).map((job) => ({ ...job })), expected);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("cache_admin.schedule_cleanup replaces the job: another interval, still one job", async () => {
  const sql = connectAsSuperuser(1);
  try {
    await rolledBack(sql, async (tx) => {
      const [first] = await tx`select cache_admin.schedule_cleanup(interval '30 minutes') as id`;
      const [second] = await tx`select cache_admin.schedule_cleanup(interval '30 minutes') as id`;
      assert.equal(first!.id, second!.id);
      const jobs = await cleanupJobs(tx);
      assert.deepEqual(jobs.map((job) => job.schedule), ["*/30 * * * *"]);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("cache_admin.cleanup_cron_schedule maps intervals pg_cron can keep evenly, refuses others", async (t) => {
  const sql = connectAsSuperuser(1);
  try {
    const accepted: [string, string][] = [
      ["1 minute", "*/1 * * * *"],
      ["5 minutes", "*/5 * * * *"],
      ["30 minutes", "*/30 * * * *"],
      ["1 hour", "0 * * * *"],
      ["2 hours", "0 */2 * * *"],
      ["12 hours", "0 */12 * * *"],
      ["1 day", "0 0 * * *"],
    ];
    for (const [interval, schedule] of accepted) {
      await t.step(`${interval} -> ${schedule}`, async () => {
        const [row] =
          await sql`select cache_admin.cleanup_cron_schedule(${interval}::interval) as s`;
        assert.equal(row!.s, schedule);
      });
    }
    for (const interval of ["7 minutes", "45 minutes", "5 hours", "2 days", "30 seconds", null]) {
      await t.step(`${interval} is refused with 22023`, async () => {
        const error = await sql`select cache_admin.cleanup_cron_schedule(${interval}::interval)`
          .then(() => undefined, (e: unknown) => e);
        assert.equal((error as { code?: string })?.code, "22023", String(error));
        assert.match((error as Error).message, /Invalid cleanup interval/);
      });
    }
  } finally {
    await sql.end();
  }
});

Deno.test("the cleanup job's command deletes expired and purged entries in batches and logs the run", async () => {
  const sql = connectAsSuperuser(1);
  const org = newOrganizationId();
  try {
    const entry = (name: string, expiresIn: string, tags: Record<string, number> = {}) =>
      sql`
      insert into cache.entries (key, organization_id, dataset, body, etag, tag_versions,
        created_at, fresh_until, expires_at)
      values (${`${org}:price-alerts:${name}`}, ${org}, 'price-alerts', '{}', '"e"',
        ${sql.json({ [`org:${org}`]: 0, ...tags })}, now() - interval '2 hours',
        now() - interval '2 hours', now() + ${expiresIn}::interval)`;
    const doomed = `org:${org}:tag:doomed`;
    for (let i = 0; i < 5; i++) await entry(`expired-${i}`, "-1 minute");
    await entry("purged", "1 hour", { [doomed]: 0 });
    await entry("kept", "1 hour");
    await sql`select * from cache.invalidate_tags(${[doomed]}, 'purge')`;
    const [job] = await cleanupJobs(sql);
    // The job's own command, batch size 2 as a parameter check of the loop:
    const [batched] = await sql`select * from cache_admin.run_scheduled_cleanup(now(), 2, 100)`;
    assert.ok(Number(batched!.expired_entries) >= 5, JSON.stringify(batched));
    assert.ok(Number(batched!.purged_entries) >= 1, JSON.stringify(batched));
    const left =
      await sql`select key from cache.entries where organization_id = ${org} order by key`;
    assert.deepEqual(left.map((row) => row.key), [`${org}:price-alerts:kept`]);
    const [logged] = await sql`
      select actor_role, action, deleted_entries::int, details from cache_admin.maintenance_log
      where action = 'scheduled_cleanup' order by id desc limit 1`;
    assert.equal(logged!.actor_role, "pg_cron");
    assert.equal(
      logged!.deleted_entries,
      Number(batched!.expired_entries) + Number(batched!.purged_entries),
    );
    assert.ok(logged!.details.batches >= 3, JSON.stringify(logged!.details));

    for (let i = 0; i < 2; i++) await entry(`late-${i}`, "-1 second");
    await sql.unsafe(job!.command);
    const after =
      await sql`select key from cache.entries where organization_id = ${org} order by key`;
    assert.deepEqual(after.map((row) => row.key), [`${org}:price-alerts:kept`]);
  } finally {
    await sql`delete from cache.entries where organization_id = ${org}`;
    await sql.end();
  }
});

Deno.test("confirmation tokens: stored as SHA-256, single use, bound to caller, organization and action", async (t) => {
  const sql = connectAsSuperuser(1);
  const org = newOrganizationId();
  const user = crypto.randomUUID();
  const token = `${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll("-", "");
  const consume = async (
    options: {
      token?: string;
      org?: string | null;
      user?: string | null;
      at?: string;
      action?: string;
    } = {},
  ) => {
    const [row] = await sql`
      select cache_admin.consume_confirmation_token(${options.token ?? token},
        ${options.action ?? "emergency_clear"}, ${
      options.org === undefined ? org : options.org
    }::uuid,
        ${options.user === undefined ? user : options.user}::uuid,
        now() + ${options.at ?? "0 seconds"}::interval) as outcome`;
    return row!.outcome;
  };
  try {
    await sql`
      select cache_admin.issue_confirmation_token(${token}, 'emergency_clear', ${org}, ${user},
        'owner', interval '5 minutes')`;
    await t.step("only the hash is stored", async () => {
      const rows = await sql`
        select encode(token_hash, 'hex') as hash from cache_admin.confirmation_tokens
        where organization_id = ${org}`;
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
      const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
      assert.deepEqual(rows.map((row) => row.hash), [hex]);
    });
    await t.step(
      "another caller, organization or action, or a made-up token: unknown",
      async () => {
        assert.equal(await consume({ user: crypto.randomUUID() }), "unknown");
        assert.equal(await consume({ user: null }), "unknown");
        assert.equal(await consume({ org: newOrganizationId() }), "unknown");
        assert.equal(await consume({ org: null }), "unknown");
        assert.equal(await consume({ action: "cleanup_expired" }), "unknown");
        assert.equal(await consume({ token: token.slice(1) + "x" }), "unknown");
      },
    );
    await t.step("after its lifetime: expired", async () => {
      assert.equal(await consume({ at: "5 minutes" }), "expired");
    });
    await t.step("once: consumed, then used", async () => {
      assert.equal(await consume(), "consumed");
      assert.equal(await consume(), "used");
    });
    await t.step("a short token or an odd lifetime is refused", async () => {
      for (
        const [candidate, ttl] of [["short", "5 minutes"], [token + "2", "2 hours"], [
          token + "3",
          "1 second",
        ]]
      ) {
        const error = await sql`
          select cache_admin.issue_confirmation_token(${candidate!}, 'emergency_clear', ${org},
            ${user}, 'owner', ${ttl!}::interval)`.then(() => undefined, (e: unknown) => e);
        assert.equal((error as { code?: string })?.code, "22023", String(error));
      }
    });
  } finally {
    await sql`delete from cache_admin.confirmation_tokens where organization_id = ${org}`;
    await sql.end();
  }
});

const TABLES = ["confirmation_tokens", "history_retention", "maintenance_log"];

Deno.test("cache_admin: RLS on every table, search_path pinned, EXECUTE granted explicitly", async () => {
  const sql = connectAsSuperuser(1);
  try {
    const tables = await sql<{ relname: string; rls: boolean; policies: number }[]>`
      select c.relname, c.relrowsecurity as rls,
        (select count(*)::int from pg_policies p
          where p.schemaname = 'cache_admin' and p.tablename = c.relname) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'cache_admin' and c.relkind = 'r' order by c.relname`;
    assert.deepEqual(
      tables.map((row) => ({ ...row })),
      TABLES.map((relname) => ({
        relname,
        rls: true,
        policies: 1,
      })),
    );
    const functions = await sql<
      { name: string; config: string[] | null; grantees: string[]; comment: string | null }[]
    >`
      select p.proname as name, p.proconfig as config, obj_description(p.oid, 'pg_proc') as comment,
        array(select coalesce(r.rolname, 'public') from aclexplode(p.proacl) a
              left join pg_roles r on r.oid = a.grantee
              where a.privilege_type = 'EXECUTE' order by 1) as grantees
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'cache_admin' order by p.proname`;
    assert.equal(functions.length, 14);
    /** The dashboard's reads (tests/cache/cache_admin_reads_test.ts): owners and admins call them too. */
    const readFunctions = ["entries", "invalidation_audit", "require_reader"];
    for (const fn of functions) {
      assert.deepEqual(fn.config, ['search_path=""'], fn.name);
      assert.ok(fn.comment, `${fn.name} has a comment`);
      // The scheduling and the daily prune run as postgres (pg_cron) only.
      const expected = ["schedule_cleanup", "prune_history"].includes(fn.name)
        ? ["postgres"]
        : readFunctions.includes(fn.name)
        ? ["authenticated", "postgres", "service_role"]
        : ["postgres", "service_role"];
      assert.deepEqual(fn.grantees, expected, fn.name);
    }
  } finally {
    await sql.end();
  }
});

const API_ROLES: Actor[] = [{ role: "anon" }, {
  role: "authenticated",
  userId: crypto.randomUUID(),
}];
const org = newOrganizationId();
const STATEMENTS: Record<string, (tx: TransactionSql) => Promise<unknown>> = {
  "select maintenance_log": (tx) => tx`select * from cache_admin.maintenance_log`,
  "insert maintenance_log": (tx) =>
    tx`insert into cache_admin.maintenance_log (actor_role, action, duration_ms, started_at)
       values ('service_role', 'optimize', 0, now())`,
  "select confirmation_tokens": (tx) => tx`select * from cache_admin.confirmation_tokens`,
  "delete_expired_entries": (tx) =>
    tx`select * from cache_admin.delete_expired_entries(${org}::uuid)`,
  "delete_unused_entries": (tx) => tx`select cache_admin.delete_unused_entries(${org}::uuid)`,
  "delete_matching_entries": (tx) =>
    tx`select cache_admin.delete_matching_entries(${org}::uuid, null, null, interval '1 hour')`,
  "delete_stale_leases": (tx) => tx`select cache_admin.delete_stale_leases(${org}::uuid)`,
  "clear_entries": (tx) => tx`select * from cache_admin.clear_entries(${org}::uuid)`,
  "run_scheduled_cleanup": (tx) => tx`select * from cache_admin.run_scheduled_cleanup()`,
};

for (const actor of API_ROLES) {
  Deno.test(`cache_admin: ${actor.role} can neither read, write nor call anything`, async (t) => {
    const sql = connectAsSuperuser(1);
    try {
      for (const [name, statement] of Object.entries(STATEMENTS)) {
        await t.step(name, async () => {
          const error = await asActor(sql, actor, statement, { rollback: true })
            .then(() => undefined, (e: unknown) => e);
          assert.equal((error as { code?: string })?.code, "42501", String(error));
          // authenticated has the schema (for the dashboard's reads), nothing in it shown here.
          assert.match(
            (error as Error).message,
            actor.role === "anon"
              ? /permission denied for schema cache_admin/
              : /permission denied for (table|function)/,
          );
        });
      }
    } finally {
      await sql.end();
    }
  });
}

Deno.test("cache_admin: service_role can use what the cache-admin function uses, not pg_cron", async (t) => {
  const sql = connectAsSuperuser(1);
  try {
    for (const [name, statement] of Object.entries(STATEMENTS)) {
      await t.step(
        name,
        async () => {
          await asActor(sql, { role: "service_role" }, statement, { rollback: true });
        },
      );
    }
    await t.step("schedule_cleanup is refused", async () => {
      const error = await asActor(
        sql,
        { role: "service_role" },
        (tx) => tx`select cache_admin.schedule_cleanup()`,
        { rollback: true },
      ).then(() => undefined, (e: unknown) => e);
      assert.equal((error as { code?: string })?.code, "42501", String(error));
    });
    await t.step("the maintenance log is append-only", async () => {
      const error = await asActor(
        sql,
        { role: "service_role" },
        (tx) => tx`delete from cache_admin.maintenance_log`,
        { rollback: true },
      ).then(() => undefined, (e: unknown) => e);
      assert.equal((error as { code?: string })?.code, "42501", String(error));
    });
  } finally {
    await sql.end();
  }
});
