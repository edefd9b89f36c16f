/**
 * The admin dashboard in a real headless Chromium, against the stack under test:
 * an admin signs in with email + password (a wrong one shows GoTrue's message);
 * the overview shows the metrics API's figures; a purge from Invalidate shows in
 * Entries without a reload; with Realtime on, a purge through the API shows in
 * Entries and Live before the 30 s poll; the emergency clear needs its
 * confirmation; a member gets the refusal page; the service role sees every
 * organization; no console errors; every form field is labelled; every view is
 * screenshotted to .nightshift/screenshots/.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { Sql } from "postgres";
import { connectAsSuperuser } from "../support/stack.ts";
import {
  adminGet,
  adminPost,
  forgetOrganizations,
  seedEntries,
} from "../functions/cache_admin_support.ts";
import { serviceRoleKey, tokenFor, withTwoTenants } from "../functions/datasets_support.ts";
import {
  dashboardUrl,
  launchBrowser,
  screenshot,
  signInWithPassword,
  signInWithToken,
  unlabelledFields,
} from "./browser.ts";

/** The fixture owner's password, stored as GoTrue stores it (bcrypt via pgcrypto). */
const PASSWORD = `pw-${crypto.randomUUID()}`;
/** Emails of the two-tenant fixture's users (tests/domain/support/tenants.ts). */
const emailOf = (userId: string) => `${userId}@tenants.test`;

/** Gives the fixture's owner of A an email and password GoTrue accepts. */
async function givePassword(sql: Sql, userId: string): Promise<void> {
  await sql`
    update auth.users
       set encrypted_password = extensions.crypt(${PASSWORD}, extensions.gen_salt('bf', 4)),
           email_confirmed_at = now(), aud = 'authenticated', role = 'authenticated'
     where id = ${userId}`;
}

const VIEWS = [
  "overview",
  "datasets",
  "entries",
  "health",
  "maintenance",
  "invalidate",
  "nightly",
  "live",
];

/** Counters of the current hour for A: 12 hits, 3 stale hits, 5 misses, 9 waits, known latencies. */
async function seedReads(sql: Sql, organizationId: string): Promise<void> {
  const histogram = (bucket: number, reads: number) =>
    Array.from({ length: 14 }, (_, i) => (i === bucket ? reads : 0));
  await sql`
    insert into cache.counters (organization_id, dataset, bucket_start, hits, stale_hits, misses,
      waits, compute_failures, hit_latency_ms, stale_latency_ms, miss_latency_ms)
    values (${organizationId}, 'price-alerts', date_trunc('hour', now()), 12, 3, 5, 9, 1,
      ${histogram(1, 12)}::bigint[], ${histogram(2, 3)}::bigint[], ${histogram(7, 5)}::bigint[]),
      (${organizationId}, 'supplier-data', date_trunc('hour', now()) - interval '2 hours', 4, 0, 2, 0, 0,
      ${histogram(0, 4)}::bigint[], ${histogram(0, 0)}::bigint[], ${histogram(5, 2)}::bigint[])`;
}

/** Opens a view by its navigation link (no reload) and waits for its title. */
async function openView(page: Page, title: string): Promise<void> {
  await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: title }).click();
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
}

Deno.test("dashboard in a headless browser", async (t) => {
  await withTwoTenants(async (tenants) => {
    const sql = connectAsSuperuser(1);
    const browser = await launchBrowser();
    try {
      const [keyA, keyB] = await seedEntries(sql, [
        { organizationId: tenants.orgA, dataset: "price-alerts", hitCount: 7 },
        { organizationId: tenants.orgA, dataset: "supplier-data", hitCount: 2 },
      ]);
      await givePassword(sql, tenants.ownerA);
      await seedEntries(sql, [{ organizationId: tenants.orgB, dataset: "price-alerts" }]);
      await seedReads(sql, tenants.orgA);
      const ownerToken = await tokenFor(tenants.ownerA);
      const page = await browser.newPage();

      await t.step("a wrong password shows GoTrue's message", async () => {
        const before = browser.errors.length;
        await signInWithPassword(page, emailOf(tenants.ownerA), `${PASSWORD}-wrong`);
        const alert = page.getByRole("alert");
        await alert.waitFor();
        assert.equal(await alert.innerText(), "Sign-in failed: Invalid login credentials");
        await screenshot(page, "sign-in-wrong-password");
        // Chromium logs the refused request (400) itself: expected here, not elsewhere.
        const logged = browser.errors.splice(before);
        assert.ok(
          logged.every((error) => /status of 400/.test(error)),
          `only the 400 was logged: ${logged}`,
        );
      });

      await t.step(
        "an admin signs in with email + password and the overview's figures equal the metrics API's",
        async () => {
          await signInWithPassword(page, emailOf(tenants.ownerA), PASSWORD);
          await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
          assert.equal(
            await page.getByTestId("signed-in-as").innerText(),
            emailOf(tenants.ownerA),
          );
          // Realtime is served by the stack under test: the channel joins.
          await page.getByTestId("live-badge").getByText("live", { exact: true }).waitFor({
            timeout: 10_000,
          });
          await page.locator('[data-figure="entries"]').waitFor();
          const api = await adminGet(ownerToken, `metrics?organization_id=${tenants.orgA}`);
          assert.equal(api.response.status, 200);
          const overall = api.body.overall;
          const expected: Record<string, unknown> = {
            entries: overall.entries,
            bytes: overall.bytes,
            hit_rate: overall.hit_rate,
            hits: overall.hits,
            stale_hits: overall.stale_hits,
            misses: overall.misses,
            waits: overall.waits,
            compute_failures: overall.compute_failures,
            p50_hit: overall.latency.hit.p50_ms,
            p95_hit: overall.latency.hit.p95_ms,
            p50_miss: overall.latency.miss.p50_ms,
            p95_miss: overall.latency.miss.p95_ms,
          };
          assert.deepEqual(
            [overall.entries, overall.hits, overall.stale_hits, overall.misses, overall.waits],
            [2, 16, 3, 7, 9],
            "the API counts what was seeded",
          );
          const shown = await page.locator("[data-figure]").evaluateAll((cards) =>
            Object.fromEntries(
              cards.map((
                card,
              ) => [card.getAttribute("data-figure"), card.getAttribute("data-value")]),
            )
          );
          for (const [name, value] of Object.entries(expected)) {
            assert.equal(shown[name], value === null ? "" : String(value), `figure ${name}`);
          }
          assert.equal(await page.getByRole("img", { name: "Hit rate per hour" }).count(), 1);
          await page.locator("figure.chart canvas").first().waitFor();

          // Reads by result per hour: a series per result, waits included; pointing at the
          // current hour (the right edge) shows its seeded reads in the legend.
          const reads = page.getByTestId("chart-reads");
          await reads.locator("canvas").waitFor();
          assert.deepEqual(
            await reads.locator(".u-legend .u-series .u-label").allTextContents(),
            ["Time", "hits", "stale hits", "misses", "waits"],
          );
          const plot = reads.locator(".u-over");
          const box = (await plot.boundingBox())!;
          await plot.hover({ position: { x: box.width - 1, y: box.height / 2 } });
          const legend = await reads.locator(".u-legend .u-series").evaluateAll((rows) =>
            Object.fromEntries(rows.map((row) => [
              row.querySelector(".u-label")?.textContent ?? "",
              row.querySelector(".u-value")?.textContent ?? "",
            ]))
          );
          assert.deepEqual(
            { hits: legend.hits, stale: legend["stale hits"], misses: legend.misses },
            { hits: "12", stale: "3", misses: "5" },
          );
          assert.equal(legend.waits, "9", "the current hour's waits");
        },
      );

      await t.step("a purge from Invalidate shows in Entries without a reload", async () => {
        await page.evaluate(() => ((globalThis as Record<string, unknown>).notReloaded = true));
        await openView(page, "Entries");
        const row = page.locator(`tr[data-key="${keyA}"]`);
        await row.waitFor();
        // Seeded past its fresh time: servable (stale) until the purge.
        assert.equal(await row.getAttribute("data-status"), "stale");
        await openView(page, "Invalidate");
        await page.getByRole("checkbox", { name: "price-alerts" }).check();
        await page.getByRole("radio", { name: /^Purge/ }).check();
        await page.getByLabel("Reason").fill("browser test purge");
        await page.getByRole("button", { name: "Invalidate" }).click();
        await page.getByTestId("invalidate-result").waitFor();
        await page.getByTestId("audit-table").getByText("browser test purge").waitFor();
        await openView(page, "Entries");
        await page.locator(`tr[data-key="${keyA}"][data-status="purged"]`).waitFor();
        assert.equal(
          await page.evaluate(() => (globalThis as Record<string, unknown>).notReloaded),
          true,
          "the page was not reloaded",
        );
      });

      await t.step(
        "a purge through the API shows in Entries and Live before the 30 s poll",
        async () => {
          await openView(page, "Entries");
          const row = page.locator(`tr[data-key="${keyB}"]`);
          await row.waitFor();
          assert.equal(await row.getAttribute("data-status"), "stale");
          const started = Date.now();
          const purge = await adminPost(ownerToken, "invalidate", {
            organization_id: tenants.orgA,
            datasets: ["supplier-data"],
            mode: "purge",
            reason: "api purge seen live",
          });
          assert.equal(purge.response.status, 200, JSON.stringify(purge.body));
          await page.locator(`tr[data-key="${keyB}"][data-status="purged"]`).waitFor({
            timeout: 10_000,
          });
          const elapsed = Date.now() - started;
          assert.ok(elapsed < 10_000, `shown after ${elapsed} ms`);
          await screenshot(page, "entries-live-purge");
          // The notice that did it, read in its v1 shape.
          await openView(page, "Live");
          assert.equal(
            await page.getByTestId("live-state").innerText(),
            "subscribed: views refresh on each notice",
          );
          const notice = page.locator(
            '[data-testid="live-notices"] tr[data-cause="admin"]',
            { hasText: "supplier-data" },
          );
          await notice.waitFor();
          assert.match(await notice.innerText(), /\d+\s+admin\s+purge\s+supplier-data/);
          await screenshot(page, "live-notices");
        },
      );

      await t.step("every view renders, labels its fields and is screenshotted", async () => {
        for (const view of VIEWS) {
          const title = view[0]!.toUpperCase() + view.slice(1);
          await openView(page, title);
          await page.waitForLoadState("networkidle");
          await page.waitForFunction(() =>
            // deno-lint-ignore no-explicit-any
            !(globalThis as any).document.querySelector('[aria-busy="true"]')
          );
          assert.deepEqual(await unlabelledFields(page), [], `fields of ${view}`);
          assert.equal(await page.locator('#view [role="alert"]').count(), 0, `errors in ${view}`);
          await screenshot(page, view);
        }
      });

      await t.step("the emergency clear needs its confirmation", async () => {
        await openView(page, "Maintenance");
        await page.getByRole("radio", { name: /^Emergency clear/ }).check();
        await page.getByRole("button", { name: "Request emergency clear…" }).click();
        const dialog = page.getByRole("dialog");
        await dialog.waitFor();
        const confirm = dialog.getByRole("button", { name: "Delete everything" });
        assert.equal(await confirm.isDisabled(), true, "disabled until the name is typed");
        const [stored] = await sql<{ count: number }[]>`
          select count(*)::int as count from cache.entries where organization_id = ${tenants.orgA}`;
        assert.equal(stored!.count, 2, "asking deletes nothing");
        await screenshot(page, "maintenance-confirm");
        await dialog.getByLabel("Type the organization's name to confirm").fill("Tenant A");
        await confirm.click();
        await page.getByTestId("maintenance-result").getByText("emergency_clear: done").waitFor();
        const [left] = await sql<{ count: number }[]>`
          select count(*)::int as count from cache.entries where organization_id = ${tenants.orgA}`;
        assert.equal(left!.count, 0);
        const [other] = await sql<{ count: number }[]>`
          select count(*)::int as count from cache.entries where organization_id = ${tenants.orgB}`;
        assert.equal(other!.count, 1, "another organization keeps its entries");
      });

      await t.step("rebuild now queues the organization and its run shows up", async () => {
        await openView(page, "Nightly");
        await page.getByRole("button", { name: "Rebuild now" }).click();
        await page.getByTestId("rebuild-result").waitFor();
        await page.locator('[data-testid="nightly-runs"] tr[data-status="refreshed"]').waitFor({
          timeout: 30_000,
        });
        await screenshot(page, "nightly");
      });

      await t.step("signing out forgets the password session", async () => {
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.getByRole("heading", { name: "Sign in with your account" }).waitFor();
        await page.reload();
        await page.getByRole("heading", { name: "Sign in with your account" }).waitFor();
      });

      await t.step("a member sees the refusal page", async () => {
        const memberPage = await browser.newPage();
        await memberPage.evaluate(() => sessionStorage.clear()).catch(() => {});
        await signInWithToken(memberPage, await tokenFor(tenants.memberA));
        await memberPage.getByRole("heading", { name: "Not an administrator" }).waitFor();
        assert.match(await memberPage.getByTestId("refusal").innerText(), /member of Tenant A/);
        await screenshot(memberPage, "refusal");
        await memberPage.close();
      });

      await t.step("the service role sees every organization", async () => {
        const operatorPage = await browser.newPage();
        await signInWithToken(operatorPage, serviceRoleKey);
        const picker = operatorPage.getByLabel("Organization");
        await picker.waitFor();
        const values = await picker.locator("option").evaluateAll((options) =>
          options.map((option) => (option as unknown as { value: string }).value)
        );
        assert.ok(values.includes(tenants.orgA) && values.includes(tenants.orgB));
        await operatorPage.close();
      });

      await t.step("the sign-in page is labelled and keyboard usable", async () => {
        const fresh = await browser.context.browser()?.newContext() ?? null;
        const signInPage = fresh ? await fresh.newPage() : await browser.newPage();
        await signInPage.goto(dashboardUrl);
        await signInPage.getByRole("heading", { name: "Sign in with your account" }).waitFor();
        assert.deepEqual(await unlabelledFields(signInPage), []);
        await signInPage.keyboard.press("Tab");
        const focused = await signInPage.evaluate(() =>
          // deno-lint-ignore no-explicit-any
          (globalThis as any).document.activeElement?.getAttribute("name")
        );
        assert.equal(focused, "email", "Tab reaches the first field");
        await screenshot(signInPage, "sign-in");
        await signInPage.close();
      });

      await t.step("no console errors", () => {
        assert.deepEqual(browser.errors, []);
      });
    } finally {
      await browser.close();
      await forgetOrganizations(sql, tenants.orgA, tenants.orgB);
      await sql`delete from cache.invalidation_audit where organization_id = ${tenants.orgA}`;
      await sql.end();
    }
  });
});

Deno.test("dashboard serves config.js naming the project", async () => {
  const response = await fetch(`${dashboardUrl}/config.js`);
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.match(text, /^window\.NIGHTSHIFT_CONFIG = \{"supabaseUrl":"http:\/\/127\.0\.0\.1:\d+"/);
  assert.match(text, /"publishableKey":"sb_publishable_[A-Za-z0-9_-]+"/, "the new-style key");
  assert.match(text, /"realtime":true/, "the stack under test serves Realtime");
  const index = await fetch(`${dashboardUrl}/`);
  assert.equal(index.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(await index.text(), /<div id="root"><\/div>/);
  const missing = await fetch(`${dashboardUrl}/../../etc/passwd`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const malformed = await fetch(`${dashboardUrl}/%E0%A4%A`);
  assert.equal(malformed.status, 400);
  await malformed.body?.cancel();
});
