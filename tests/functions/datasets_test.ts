/**
 * `datasets` end to end through the gateway: cache headers and 304, tenant
 * isolation, revocation bound, per-user keys, token kinds and bad input.
 */
import assert from "node:assert/strict";
import { LOCAL_ANON_KEY } from "../../local-stack/keys.ts";
import { pollUntil } from "../support/poll.ts";
import { connectAsSuperuser, functionUrl } from "../support/stack.ts";
import { TEST_INTERVALS } from "../support/test_function_env.ts";
import { readDataset, serviceRoleKey, tokenFor, withTwoTenants } from "./datasets_support.ts";

Deno.test("datasets serves a member's organization with cache headers, then hits and 304s", async () => {
  await withTwoTenants(async (t) => {
    const token = await tokenFor(t.memberA);
    const first = await readDataset(token, "dashboard-metrics", `organization_id=${t.orgA}`);
    assert.equal(first.response.status, 200, first.text);
    assert.equal(first.response.headers.get("x-cache"), "MISS");
    assert.match(first.response.headers.get("content-type") ?? "", /application\/json/);
    assert.equal(first.response.headers.get("cache-control"), "private, no-cache");
    const etag = first.response.headers.get("etag")!;
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    const body = JSON.parse(first.text);
    assert.equal(body.meta.dataset, "dashboard-metrics");
    assert.equal(body.meta.organization_id, t.orgA);
    assert.equal(body.meta.tier, "NIGHTLY_REFRESH");
    assert.equal(body.meta.as_of_date, t.asOf);
    assert.ok(
      Date.parse(first.response.headers.get("x-fresh-until")!) >
        Date.parse(first.response.headers.get("x-generated-at")!),
    );
    assert.equal(body.meta.generated_at, undefined, "the cache's times are headers, not data");
    assert.ok(Array.isArray(body.data) && body.data.length === 1);

    const second = await readDataset(token, "dashboard-metrics", `organization_id=${t.orgA}`);
    assert.equal(second.response.headers.get("x-cache"), "HIT");
    assert.equal(second.text, first.text, "a hit sends the stored bytes");
    assert.equal(second.response.headers.get("etag"), etag);
    assert.match(second.response.headers.get("age") ?? "", /^\d+$/, "Age: whole seconds");

    const conditional = await readDataset(token, "dashboard-metrics", `organization_id=${t.orgA}`, {
      headers: { "If-None-Match": etag },
    });
    assert.equal(conditional.response.status, 304);
    assert.equal(conditional.text, "");
    assert.equal(conditional.response.headers.get("etag"), etag);

    const head = await readDataset(token, "dashboard-metrics", `organization_id=${t.orgA}`, {
      method: "HEAD",
    });
    assert.equal(head.response.status, 200);
    assert.equal(head.text, "");
  });
});

Deno.test("datasets canonicalizes parameters into one key", async () => {
  await withTwoTenants(async (t) => {
    const token = await tokenFor(t.memberA);
    const base = `organization_id=${t.orgA}`;
    const first = await readDataset(token, "supplier-data", `${base}&limit=10&from=2026-01-01`);
    assert.equal(first.response.headers.get("x-cache"), "MISS", first.text);
    const reordered = await readDataset(
      token,
      "supplier-data",
      `from=2026-01-01&limit=010&${base}`,
    );
    assert.equal(reordered.response.headers.get("x-cache"), "HIT");
    assert.equal(reordered.text, first.text);
  });
});

Deno.test("datasets never gives a member of A the bytes of B", async (t) => {
  await withTwoTenants(async (tenants) => {
    // B's dataset is in the cache (L1 and L2) before anyone of A asks for it.
    const warm = await readDataset(
      serviceRoleKey,
      "supplier-data",
      `organization_id=${tenants.orgB}`,
    );
    assert.equal(warm.response.status, 200, warm.text);
    assert.match(warm.text, /Supplier of B/);
    const memberA = await tokenFor(tenants.memberA);
    const attempts: Array<[string, string, string, number]> = [
      ["B directly", "supplier-data", `organization_id=${tenants.orgB}`, 403],
      ["B in upper case", "supplier-data", `organization_id=${tenants.orgB.toUpperCase()}`, 403],
      [
        "A and B together",
        "supplier-data",
        `organization_id=${tenants.orgA}&organization_id=${tenants.orgB}`,
        400,
      ],
      [
        "B smuggled as a parameter",
        "supplier-data",
        `organization_id=${tenants.orgA}&organization=${tenants.orgB}`,
        400,
      ],
      ["B with a suffix", "supplier-data", `organization_id=${tenants.orgB}%00`, 400],
      [
        "B's key as a dataset",
        encodeURIComponent(`${tenants.orgB}:supplier-data:`),
        `organization_id=${tenants.orgA}`,
        404,
      ],
    ];
    for (const [label, dataset, query, status] of attempts) {
      await t.step(label, async () => {
        const { response, text } = await readDataset(memberA, dataset, query);
        assert.equal(response.status, status, text);
        assert.doesNotMatch(text, /Supplier of B|Product of B|Location of B/);
        assert.equal(typeof JSON.parse(text).error.code, "string");
      });
    }
    for (
      const [label, userId] of [["a removed member of A", tenants.removedA], [
        "an outsider",
        tenants.outsider,
      ]]
    ) {
      await t.step(`${label} reading A`, async () => {
        const { response, text } = await readDataset(
          await tokenFor(userId!),
          "supplier-data",
          `organization_id=${tenants.orgA}`,
        );
        assert.equal(response.status, 403, text);
        assert.equal(JSON.parse(text).error.code, "forbidden");
      });
    }
  });
});

Deno.test("datasets revokes a removed member within the membership bound", async () => {
  await withTwoTenants(async (t) => {
    const sql = connectAsSuperuser(1);
    try {
      const token = await tokenFor(t.adminA);
      const before = await readDataset(token, "cogs-analysis", `organization_id=${t.orgA}`);
      assert.equal(before.response.status, 200, before.text);
      await sql`delete from public.organization_members where organization_id = ${t.orgA} and user_id = ${t.adminA}`;
      // Within DATASETS_MEMBERSHIP_TTL (short in the test stack) the cached entry stops being served.
      const after = await pollUntil("the revoked membership", async () => {
        const read = await readDataset(token, "cogs-analysis", `organization_id=${t.orgA}`);
        return read.response.status === 200 ? undefined : read;
      }, TEST_INTERVALS.membershipTtlMs * 4);
      assert.equal(after.response.status, 403, after.text);
      assert.doesNotMatch(after.text, /"data"/);
    } finally {
      await sql.end();
    }
  });
});

Deno.test("datasets keys user-preferences per user", async () => {
  await withTwoTenants(async (t) => {
    const member = await readDataset(
      await tokenFor(t.memberA),
      "user-preferences",
      `organization_id=${t.orgA}`,
    );
    assert.equal(member.response.status, 200, member.text);
    assert.deepEqual(JSON.parse(member.text).data.map((row: { user_id: string }) => row.user_id), [
      t.memberA,
    ]);
    const owner = await readDataset(
      await tokenFor(t.ownerA),
      "user-preferences",
      `organization_id=${t.orgA}`,
    );
    assert.equal(owner.response.status, 200, owner.text);
    assert.equal(
      owner.response.headers.get("x-cache"),
      "MISS",
      "another user never shares the entry",
    );
    assert.deepEqual(JSON.parse(owner.text).data.map((row: { user_id: string }) => row.user_id), [
      t.ownerA,
    ]);
  });
});

Deno.test("datasets accepts ES256 user tokens and the service role, refuses the anon key", async () => {
  await withTwoTenants(async (t) => {
    const es256 = await readDataset(
      await tokenFor(t.memberA, "ES256"),
      "product-metrics",
      `organization_id=${t.orgA}`,
    );
    assert.equal(es256.response.status, 200, es256.text);
    const service = await readDataset(
      serviceRoleKey,
      "product-metrics",
      `organization_id=${t.orgB}`,
    );
    assert.equal(service.response.status, 200, service.text);
    const anon = await readDataset(LOCAL_ANON_KEY, "product-metrics", `organization_id=${t.orgA}`);
    assert.equal(anon.response.status, 401, anon.text);
    assert.equal(JSON.parse(anon.text).error.code, "unauthorized");
  });
});

Deno.test("datasets answers bad input with a 4xx JSON error that says what to fix", async (t) => {
  await withTwoTenants(async (tenants) => {
    const token = await tokenFor(tenants.memberA);
    const org = `organization_id=${tenants.orgA}`;
    const cases: Array<[string, string, string, number, RegExp, RequestInit?]> = [
      ["unknown dataset", "sales-forecast", org, 404, /Unknown dataset: sales-forecast/],
      ["no dataset", "", org, 404, /Unknown dataset: \(none\)/],
      ["missing organization", "price-alerts", "limit=5", 400, /Missing organization_id/],
      [
        "malformed organization",
        "price-alerts",
        "organization_id=42",
        400,
        /Invalid organization_id: must be a UUID/,
      ],
      ["unknown parameter", "price-alerts", `${org}&colour=red`, 400, /colour/],
      ["parameter for another dataset", "dashboard-metrics", `${org}&limit=5`, 400, /limit/],
      [
        "repeated parameter",
        "price-alerts",
        `${org}&limit=5&limit=6`,
        400,
        /Repeated query parameter: limit/,
      ],
      ["limit too large", "price-alerts", `${org}&limit=5000`, 400, /limit/],
      [
        "limit not a number",
        "price-alerts",
        `${org}&limit=ten`,
        400,
        /limit: must be a whole number/,
      ],
      [
        "malformed date",
        "price-alerts",
        `${org}&from=2026-13-01`,
        400,
        /from: must be a real calendar date/,
      ],
      [
        "dates out of order",
        "price-alerts",
        `${org}&from=2026-02-01&to=2026-01-01`,
        400,
        /from must not be after to/,
      ],
      [
        "malformed supplier",
        "supplier-data",
        `${org}&supplier_id=x`,
        400,
        /supplier_id: must be a UUID/,
      ],
      ["oversize query", "price-alerts", `${org}&from=${"9".repeat(3000)}`, 413, /Query too long/],
      ["wrong method", "price-alerts", org, 405, /Method not allowed/, {
        method: "POST",
        body: "{}",
      }],
    ];
    for (const [label, dataset, query, status, message, init] of cases) {
      await t.step(label, async () => {
        const { response, text } = await readDataset(token, dataset, query, init ?? {});
        assert.equal(response.status, status, text);
        const body = JSON.parse(text);
        assert.match(body.error.message, message);
        assert.equal(typeof body.error.code, "string");
        assert.doesNotMatch(text, /at .*\.ts:\d+/, "no stack trace");
      });
    }
    await t.step("missing token", async () => {
      const response = await fetch(`${functionUrl("datasets")}/price-alerts?${org}`);
      assert.equal(response.status, 401);
      await response.body?.cancel();
    });
  });
});

Deno.test("datasets answers CORS preflights and exposes cache headers", async () => {
  const response = await fetch(`${functionUrl("datasets")}/price-alerts`, {
    method: "OPTIONS",
    headers: { Origin: "https://app.example", "Access-Control-Request-Method": "GET" },
  });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
  assert.match(response.headers.get("access-control-allow-headers") ?? "", /authorization/);
  assert.match(response.headers.get("access-control-expose-headers") ?? "", /x-cache/);
});
