/**
 * `cache.invalidate`, the one invalidation API, and the base-table write
 * triggers built on it, against the real database as the real roles: which
 * datasets a write expires (those declaring the table, from the registry), one
 * notice per statement and organization and none on rollback, the notice shape
 * (the zod schema the client package parses with), monotonic `seq`, the audit
 * row, and bad input refused.
 */
import assert from "node:assert/strict";
import type { Sql, TransactionSql } from "postgres";
import { datasetsReading } from "../../shared/datasets/registry.ts";
import {
  type InvalidationNotice,
  invalidationNotice,
} from "../../shared/invalidation/invalidation_notice.ts";
import { createTwoTenants, dropTwoTenants, type TwoTenants } from "../domain/support/tenants.ts";
import { asActor } from "../support/as_role.ts";
import { connectAsPlatformAdmin, connectAsSuperuser } from "../support/stack.ts";

async function withTenants(work: (t: TwoTenants, sql: Sql) => Promise<void>): Promise<void> {
  const sql = connectAsSuperuser(2);
  const tenants = await createTwoTenants(sql);
  // The fixture's own inserts sent notices: start each test from an empty channel.
  // postgres may not delete from realtime.messages (as on hosted): the platform admin does.
  const admin = connectAsPlatformAdmin();
  try {
    await admin`
      delete from realtime.messages
      where topic in (${`cache-invalidation:${tenants.orgA}`}, ${`cache-invalidation:${tenants.orgB}`})`;
  } finally {
    await admin.end();
  }
  try {
    await work(tenants, sql);
  } finally {
    await dropTwoTenants(sql, tenants);
    await sql.end();
  }
}

/** Notices on the organization's topic, oldest first, parsed with the client's schema. */
async function noticesOf(
  sql: Sql | TransactionSql,
  organizationId: string,
): Promise<InvalidationNotice[]> {
  const rows = await sql<{ payload: unknown; event: string; private: boolean }[]>`
    select payload, event, private from realtime.messages
    where topic = ${`cache-invalidation:${organizationId}`}
    order by (payload ->> 'seq')::bigint`;
  return rows.map((row) => {
    assert.equal(row.event, "cache_invalidation");
    assert.equal(row.private, true);
    return invalidationNotice.parse(row.payload);
  });
}

async function tagVersions(
  sql: Sql | TransactionSql,
  organizationId: string,
): Promise<Record<string, number>> {
  const rows = await sql<{ tag: string; version: string }[]>`
    select tag, version::text from cache.tag_versions where tag like ${`org:${organizationId}%`}`;
  return Object.fromEntries(rows.map((row) => [row.tag, Number(row.version)]));
}

function bumpedDatasets(
  before: Record<string, number>,
  after: Record<string, number>,
  organizationId: string,
): string[] {
  const prefix = `org:${organizationId}:dataset:`;
  return Object.keys(after)
    .filter((tag) => tag.startsWith(prefix) && after[tag] !== (before[tag] ?? 0))
    .map((tag) => tag.slice(prefix.length))
    .sort();
}

Deno.test("a write to invoice_lines expires only the datasets declaring it, with one notice", async () => {
  await withTenants(async (t, sql) => {
    const before = await tagVersions(sql, t.orgA);
    await asActor(sql, { role: "authenticated", userId: t.adminA }, async (tx) => {
      // Two rows, one statement: one notice.
      await tx`
        insert into public.invoice_lines
          (organization_id, invoice_id, line_number, product_id, quantity, unit_price)
        values (${t.orgA}, ${t.invoiceA}, 2, ${t.usedProductA}, 1, 5),
               (${t.orgA}, ${t.invoiceA}, 3, ${t.spareProductA}, 1, 6)`;
    });
    const after = await tagVersions(sql, t.orgA);
    // The live datasets reading invoice_lines, not location-data nor user-preferences.
    assert.deepEqual(bumpedDatasets(before, after, t.orgA), ["price-alerts", "supplier-data"]);
    assert.deepEqual(
      datasetsReading("invoice_lines").filter((name) =>
        ["price-alerts", "supplier-data"].includes(name)
      ),
      ["price-alerts", "supplier-data"],
    );

    const notices = await noticesOf(sql, t.orgA);
    assert.equal(notices.length, 1);
    const notice = notices[0]!;
    assert.deepEqual({ ...notice, seq: 0, at: "", id: "" }, {
      v: 1,
      seq: 0,
      organization_id: t.orgA,
      cause: "write",
      action: "expire",
      datasets: ["price-alerts", "supplier-data"],
      tags: [`org:${t.orgA}:dataset:price-alerts`, `org:${t.orgA}:dataset:supplier-data`],
      at: "",
      id: "", // realtime.send adds the message id (upstream realtime.send)
      details: { table: "invoice_lines", operation: "insert" },
    });
    assert.ok(Math.abs(Date.parse(notice.at) - Date.now()) < 60_000, notice.at);
    assert.deepEqual(await noticesOf(sql, t.orgB), []);

    const [audit] = await sql<
      { cause: string; actor_user_id: string; actor_role: string; seq: string; mode: string }[]
    >`
      select cause, actor_user_id, actor_role, seq::text, mode from cache.invalidation_audit
      where organization_id = ${t.orgA} and seq = ${notice.seq}`;
    assert.deepEqual({ ...audit }, {
      cause: "write",
      actor_user_id: t.adminA,
      actor_role: "authenticated",
      seq: String(notice.seq),
      mode: "expire",
    });
  });
});

Deno.test("writes expire what their table feeds, per the registry", async (t) => {
  await withTenants(async (tenants, sql) => {
    const cases: Array<[string, (tx: TransactionSql) => Promise<unknown>, string[]]> = [
      [
        "locations",
        (tx) =>
          tx`update public.locations set name = 'Renamed' where id = ${tenants.spareLocationA}`,
        ["location-data", "user-preferences"],
      ],
      [
        "products",
        (tx) => tx`update public.products set name = 'Renamed' where id = ${tenants.spareProductA}`,
        ["price-alerts"],
      ],
      [
        "suppliers",
        (tx) =>
          tx`update public.suppliers set phone = '+45 1' where id = ${tenants.spareSupplierA}`,
        ["price-alerts", "supplier-data"],
      ],
      [
        "invoices",
        (tx) =>
          tx`update public.invoices set due_date = invoice_date + 30 where id = ${tenants.invoiceA}`,
        ["location-data", "price-alerts", "supplier-data"],
      ],
    ];
    for (const [table, write, expected] of cases) {
      await t.step(table, async () => {
        const before = await tagVersions(sql, tenants.orgA);
        await asActor(sql, { role: "authenticated", userId: tenants.ownerA }, write);
        const after = await tagVersions(sql, tenants.orgA);
        assert.deepEqual(bumpedDatasets(before, after, tenants.orgA), expected);
        assert.deepEqual(
          datasetsReading(table as "locations").filter((name) => expected.includes(name)).sort(),
          expected,
        );
      });
    }
  });
});

Deno.test("a statement touching two organizations sends one notice to each; seq increases", async () => {
  await withTenants(async (t, sql) => {
    for (let i = 0; i < 3; i++) {
      await sql`
        update public.suppliers set phone = ${`+45 ${i}`}
        where id in (${t.spareSupplierA}, ${t.supplierB})`;
    }
    const a = await noticesOf(sql, t.orgA);
    const b = await noticesOf(sql, t.orgB);
    assert.equal(a.length, 3);
    assert.equal(b.length, 3);
    for (const notices of [a, b]) {
      const seqs = notices.map((notice) => notice.seq);
      assert.deepEqual(seqs, [seqs[0]!, seqs[0]! + 1, seqs[0]! + 2]);
      for (const notice of notices) {
        assert.deepEqual(notice.details, { table: "suppliers", operation: "update" });
      }
    }
  });
});

Deno.test("a rolled-back write sends no notice and bumps nothing", async () => {
  await withTenants(async (t, sql) => {
    const before = await tagVersions(sql, t.orgA);
    await asActor(sql, { role: "authenticated", userId: t.adminA }, async (tx) => {
      await tx`update public.invoice_lines set quantity = 9 where id = ${t.lineA}`;
      // Inside the transaction the notice is queued…
      assert.equal((await noticesOf(tx, t.orgA)).length, 1);
    }, { rollback: true });
    // …and gone with it.
    assert.deepEqual(await noticesOf(sql, t.orgA), []);
    assert.deepEqual(await tagVersions(sql, t.orgA), before);
  });
});

Deno.test("a write to a table only nightly datasets read would mark dirty without notices", async () => {
  await withTenants(async (t, sql) => {
    // Every registered source table has the three write triggers, and no other table has them.
    const rows = await sql<{ table_name: string; triggers: number }[]>`
      select c.relname as table_name, count(*)::int as triggers
      from pg_trigger as tr join pg_class as c on c.oid = tr.tgrelid
      where tr.tgname like 'dataset_source_write_after_%'
      group by c.relname order by c.relname`;
    const [registered] = await sql<{ tables: string[] }[]>`
      select array_agg(distinct t order by t) as tables
      from analytics.datasets, unnest(source_tables) as t`;
    assert.deepEqual(rows.map((row) => row.table_name), registered!.tables);
    assert.ok(rows.every((row) => row.triggers === 3));
    // user_preferences: no nightly dataset reads it, so no dirty mark.
    const [state] = await sql<{ last_changed_at: Date | null }[]>`
      select last_changed_at from analytics.organization_state where organization_id = ${t.orgA}`;
    await asActor(
      sql,
      { role: "authenticated", userId: t.memberA },
      (tx) =>
        tx`update public.user_preferences set display_currency = 'DKK'
         where organization_id = ${t.orgA} and user_id = ${t.memberA}`,
    );
    const [stateAfter] = await sql<{ last_changed_at: Date | null }[]>`
      select last_changed_at from analytics.organization_state where organization_id = ${t.orgA}`;
    assert.deepEqual(stateAfter, state);
  });
});

Deno.test("cache.invalidate: organization-wide purge, custom tags, audit and bad input", async (t) => {
  const sql = connectAsSuperuser(1);
  const organizationId = crypto.randomUUID();
  try {
    await t.step("no datasets and no tags: the organization tag, datasets null", async () => {
      const [row] = await asActor(
        sql,
        { role: "service_role" },
        (tx) =>
          tx<{ result: { notice: unknown; bumped: Record<string, number> } }[]>`
          select cache.invalidate(${organizationId}::uuid, null, null, 'purge', 'maintenance',
            '{"reason": "emergency_clear"}') as result`,
      );
      const notice = invalidationNotice.parse(row!.result.notice);
      assert.equal(notice.datasets, null);
      assert.deepEqual(notice.tags, [`org:${organizationId}`]);
      assert.deepEqual(notice.details, { reason: "emergency_clear" });
      assert.equal(notice.action, "purge");
      assert.deepEqual(Object.keys(row!.result.bumped), [`org:${organizationId}`]);
    });
    await t.step("datasets and custom tags are scoped and sorted", async () => {
      const [row] = await asActor(
        sql,
        { role: "service_role" },
        (tx) =>
          tx<{ result: { notice: InvalidationNotice; audit_id: number } }[]>`
          select cache.invalidate(${organizationId}::uuid, '{supplier-data,price-alerts}',
            '{supplier-42}', 'expire', 'admin', '{}', null, 'owner') as result`,
      );
      const notice = invalidationNotice.parse(row!.result.notice);
      assert.deepEqual(notice.datasets, ["price-alerts", "supplier-data"]);
      assert.deepEqual(notice.tags, [
        `org:${organizationId}:dataset:price-alerts`,
        `org:${organizationId}:dataset:supplier-data`,
        `org:${organizationId}:tag:supplier-42`,
      ]);
      const [audit] = await sql<{ actor_role: string; tags: string[]; cause: string }[]>`
        select actor_role, tags, cause from cache.invalidation_audit where id = ${
        row!.result.audit_id
      }`;
      assert.deepEqual({ ...audit }, {
        actor_role: "owner",
        tags: ["supplier-42"],
        cause: "admin",
      });
    });
    const bad: Array<[string, string]> = [
      [
        "a bad action",
        `select cache.invalidate('${organizationId}', null, null, 'delete', 'admin')`,
      ],
      ["a bad cause", `select cache.invalidate('${organizationId}', null, null, 'purge', 'cron')`],
      [
        "a bad dataset",
        `select cache.invalidate('${organizationId}', '{Bad Name}', null, 'purge', 'admin')`,
      ],
      [
        "a bad tag",
        `select cache.invalidate('${organizationId}', null, '{"a b"}', 'purge', 'admin')`,
      ],
      ["no organization", `select cache.invalidate(null, null, null, 'purge', 'admin')`],
      [
        "details not an object",
        `select cache.invalidate('${organizationId}', null, null, 'purge', 'admin', '[]')`,
      ],
    ];
    for (const [label, statement] of bad) {
      await t.step(`refuses ${label} with 22023`, async () => {
        await assert.rejects(
          asActor(sql, { role: "service_role" }, (tx) => tx.unsafe(statement)),
          (error: { code?: string }) => error.code === "22023",
        );
      });
    }
    await t.step("authenticated and anon may not call it", async () => {
      for (
        const actor of [{ role: "anon" as const }, {
          role: "authenticated" as const,
          userId: crypto.randomUUID(),
        }]
      ) {
        await assert.rejects(
          asActor(
            sql,
            actor,
            (tx) =>
              tx`select cache.invalidate(${organizationId}::uuid, null, null, 'purge', 'admin')`,
          ),
          (error: { code?: string }) => error.code === "42501",
        );
      }
    });
  } finally {
    await sql`delete from cache.invalidation_audit where organization_id = ${organizationId}`;
    await sql.end();
  }
});
