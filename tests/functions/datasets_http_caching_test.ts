/**
 * HTTP caching of `datasets` keeps the invalidation promise: no cache may reuse
 * a body without asking (RFC 9111 freshness computed from the headers), the
 * ETag derives from the data (equal rows keep it across recomputations), and a
 * revalidation is a bodyless 304.
 */
import assert from "node:assert/strict";
import { DATASET_NAMES } from "../../shared/datasets/registry.ts";
import { cacheVerdict } from "../support/http_freshness.ts";
import { pollUntil } from "../support/poll.ts";
import { connectAsSuperuser, functionUrl } from "../support/stack.ts";
import { readDataset, serviceRoleKey, tokenFor, withTwoTenants } from "./datasets_support.ts";

/** Upper bound on how long an invalidation may take to reach every reader (README "Bounds"). */
const INVALIDATION_BOUND_SECONDS = 1;

Deno.test("cacheVerdict flags a max-age that outlives invalidations", () => {
  const before = new Response("{}", {
    headers: {
      "Cache-Control": "private, max-age=86399, stale-while-revalidate=3600",
      "Date": new Date().toUTCString(),
    },
  });
  const verdict = cacheVerdict(before, "private");
  assert.equal(verdict.reusableWithoutOriginSeconds, 86399 + 3600);
  assert.equal(cacheVerdict(before, "shared").mayStore, false);
  const heuristic = new Response("{}", {
    headers: {
      "Date": "Mon, 30 Nov 2026 12:00:00 GMT",
      "Last-Modified": "Mon, 30 Nov 2026 02:00:00 GMT",
    },
  });
  assert.equal(cacheVerdict(heuristic, "private").freshForSeconds, 3600, "10% of 10 h");
});

Deno.test("datasets responses are never reusable past an invalidation by any HTTP cache", async () => {
  await withTwoTenants(async (t) => {
    const token = await tokenFor(t.memberA);
    for (const dataset of DATASET_NAMES) {
      const first = await readDataset(token, dataset, `organization_id=${t.orgA}`);
      assert.equal(first.response.status, 200, `${dataset}: ${first.text}`);
      const revalidated = await readDataset(token, dataset, `organization_id=${t.orgA}`, {
        headers: { "If-None-Match": first.response.headers.get("etag")! },
      });
      assert.equal(revalidated.response.status, 304, dataset);
      // §4.3.4: a 304 freshens the stored 200 with its own headers.
      const freshened = new Response(null, { status: 200, headers: revalidated.response.headers });
      for (const response of [first.response, freshened]) {
        const browser = cacheVerdict(response, "private");
        assert.ok(browser.mayStore, `${dataset}: a browser may keep it for revalidation`);
        assert.ok(browser.mustRevalidateEveryTime, dataset);
        assert.ok(
          browser.reusableWithoutOriginSeconds <= INVALIDATION_BOUND_SECONDS,
          `${dataset}: reusable ${browser.reusableWithoutOriginSeconds} s`,
        );
        assert.equal(cacheVerdict(response, "shared").mayStore, false, `${dataset}: shared`);
        assert.match(response.headers.get("vary") ?? "", /Authorization/);
      }
    }
  });
});

Deno.test("datasets keep the ETag of equal rows across recomputations, and change it with the data", async () => {
  await withTwoTenants(async (t) => {
    const token = await tokenFor(t.memberA);
    const query = `organization_id=${t.orgA}`;
    for (const dataset of ["dashboard-metrics", "supplier-data"] as const) {
      const first = await readDataset(token, dataset, query);
      assert.equal(first.response.status, 200, first.text);
      const etag = first.response.headers.get("etag")!;
      await purge(t.orgA, dataset);
      // Other isolates see the purge within the L1 bound: wait for the recomputation.
      const recomputed = await pollUntil(`${dataset} recomputed`, async () => {
        const read = await readDataset(token, dataset, query, {
          headers: { "If-None-Match": etag },
        });
        return read.response.headers.get("x-cache") === "MISS" ? read : undefined;
      });
      assert.equal(recomputed.response.status, 304, `${dataset}: same rows, same ETag`);
      assert.equal(recomputed.response.headers.get("etag"), etag);
      assert.notEqual(
        recomputed.response.headers.get("x-generated-at"),
        first.response.headers.get("x-generated-at"),
      );
    }

    // A real change of the rows changes the ETag.
    const sql = connectAsSuperuser(1);
    try {
      const before = await readDataset(token, "supplier-data", query);
      await sql`update public.suppliers set phone = '+45 1234 5678' where id = ${t.usedSupplierA}`;
      const changed = await pollUntil("supplier-data changed", async () => {
        const read = await readDataset(token, "supplier-data", query, {
          headers: { "If-None-Match": before.response.headers.get("etag")! },
        });
        return read.response.status === 200 ? read : undefined;
      });
      assert.notEqual(changed.response.headers.get("etag"), before.response.headers.get("etag"));
      assert.match(changed.text, /\+45 1234 5678/);
    } finally {
      await sql.end();
    }
  });
});

async function purge(organizationId: string, dataset: string): Promise<void> {
  const response = await fetch(functionUrl("cache-admin/invalidate"), {
    method: "POST",
    headers: { Authorization: `Bearer ${serviceRoleKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ organization_id: organizationId, datasets: [dataset], mode: "purge" }),
  });
  assert.equal(response.status, 200, await response.text());
}

Deno.test("a read with Cache-Control: no-cache sees an invalidation at once, not stale", async () => {
  await withTwoTenants(async (t) => {
    const token = await tokenFor(t.memberA);
    const query = `organization_id=${t.orgA}`;
    const sql = connectAsSuperuser(1);
    try {
      for (const phone of ["+45 1000 0001", "+45 1000 0002", "+45 1000 0003"]) {
        await readDataset(token, "supplier-data", query);
        const warm = await readDataset(token, "supplier-data", query);
        assert.equal(warm.response.headers.get("x-cache"), "HIT", "L1 holds the body");
        // A base-table write expires the dataset (may be served stale while revalidating)...
        await sql`update public.suppliers set phone = ${phone} where id = ${t.usedSupplierA}`;
        // ...but a caller that knows of it gets the recomputation, not the stale body.
        const read = await readDataset(token, "supplier-data", query, {
          headers: {
            "Cache-Control": "no-cache",
            "If-None-Match": warm.response.headers.get("etag")!,
          },
        });
        assert.equal(read.response.status, 200);
        assert.equal(read.response.headers.get("x-cache"), "MISS");
        assert.match(read.text, new RegExp(phone.replaceAll("+", "\\+")));
      }
    } finally {
      await sql.end();
    }
  });
});
