/**
 * `CACHE_ENABLED=false`, the rollback switch: every read straight from the
 * computation, answered `BYPASS`, neither tier read nor written.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../../shared/util/clock.ts";
import { CacheComputeError } from "../../shared/cache/errors.ts";
import { ForbiddenError } from "../../shared/http/errors.ts";
import {
  connectAsServiceRole,
  countingCompute,
  createStack,
  newOrganizationId,
  testConfig,
} from "./support.ts";

Deno.test("CACHE_ENABLED is read strictly and defaults to on", () => {
  assert.equal(testConfig().enabled, true);
  assert.equal(testConfig({ CACHE_ENABLED: "true" }).enabled, true);
  assert.equal(testConfig({ CACHE_ENABLED: "false" }).enabled, false);
  assert.throws(() => testConfig({ CACHE_ENABLED: "off" }), /CACHE_ENABLED: must be "true"/);
});

Deno.test("CacheStack.get with CACHE_ENABLED=false computes every read and stores nothing", async () => {
  const sql = connectAsServiceRole();
  const stack = createStack(sql, new FakeClock(Date.parse("2026-04-01T08:00:00Z")), {
    env: { CACHE_ENABLED: "false" },
  });
  const org = newOrganizationId();
  try {
    const counter = countingCompute();
    const read = () =>
      stack.get({ organizationId: org, dataset: "price-alerts", compute: counter.compute });
    const first = await read();
    const second = await read();
    assert.deepEqual([first.status, second.status], ["BYPASS", "BYPASS"]);
    assert.equal(counter.calls, 2, "every read computes");
    assert.deepEqual(JSON.parse(second.body), { n: 2 });
    assert.equal(first.freshForSeconds, 0);
    assert.equal(first.staleWhileRevalidateSeconds, 0);
    assert.match(first.etag, /^"[0-9a-f]{32}"$/);
    const [row] = await sql`
      select count(*)::int as entries from cache.entries where organization_id = ${org}::uuid`;
    assert.equal(row!.entries, 0, "nothing written to L2");
    assert.equal(stack.l1.size, 0, "nothing kept in L1");
    await assert.rejects(
      stack.get({
        organizationId: org,
        dataset: "price-alerts",
        compute: () => Promise.reject(new ForbiddenError()),
      }),
      ForbiddenError,
    );
    await assert.rejects(
      stack.get({
        organizationId: org,
        dataset: "price-alerts",
        compute: () => Promise.reject(new Error("boom")),
      }),
      CacheComputeError,
    );
  } finally {
    await stack.idle();
    await sql.end();
  }
});
