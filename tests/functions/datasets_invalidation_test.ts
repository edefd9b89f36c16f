/**
 * `datasets` under concurrency and invalidation: one computation for many cold
 * readers, trigger-driven expiry of live datasets, and two function processes
 * (two isolates) sharing one database.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { FunctionProcess } from "../../local-stack/functions/function_process.ts";
import { freePort } from "../../local-stack/free_port.ts";
import { startGateway } from "../../local-stack/gateway.ts";
import { LOCAL_JWKS, LOCAL_JWT_SECRET } from "../../local-stack/keys.ts";
import { functionEnvironment } from "../../local-stack/functions/function_env.ts";
import { asActor } from "../support/as_role.ts";
import { pollUntil } from "../support/poll.ts";
import { TEST_FUNCTION_ENV, TEST_INTERVALS } from "../support/test_function_env.ts";
import { connectAsSuperuser, testStack } from "../support/stack.ts";
import { readDataset, serviceRoleKey, tokenFor, withTwoTenants } from "./datasets_support.ts";

Deno.test("datasets serves 200 concurrent cold reads from one computation", async () => {
  await withTwoTenants(async (t) => {
    const token = await tokenFor(t.memberA);
    const reads = await Promise.all(
      Array.from(
        { length: 200 },
        () => readDataset(token, "invoice-analytics", `organization_id=${t.orgA}`),
      ),
    );
    assert.deepEqual(new Set(reads.map((r) => r.response.status)), new Set([200]));
    const generatedAt = new Set(reads.map((r) => r.response.headers.get("x-generated-at")));
    assert.equal(generatedAt.size, 1, "every reader got the body of the one computation");
    const sql = connectAsSuperuser(1);
    try {
      const [row] = await sql<{ count: number }[]>`
        select count(*)::int as count from cache.entries
         where organization_id = ${t.orgA} and dataset = 'invoice-analytics'`;
      assert.equal(row!.count, 1);
    } finally {
      await sql.end();
    }
  });
});

Deno.test("a base-table write expires the live datasets of its organization only", async () => {
  await withTwoTenants(async (t) => {
    const sql = connectAsSuperuser(2);
    try {
      const tokenA = await tokenFor(t.memberA);
      const query = `organization_id=${t.orgA}`;
      const first = await readDataset(tokenA, "supplier-data", query);
      assert.equal(first.response.status, 200, first.text);
      const warmB = await readDataset(serviceRoleKey, "supplier-data", `organization_id=${t.orgB}`);
      assert.equal(
        (await readDataset(tokenA, "supplier-data", query)).response.headers.get("x-cache"),
        "HIT",
      );

      // An admin of A adds a supplier through RLS, as a PostgREST write would.
      await asActor(
        sql,
        { role: "authenticated", userId: t.adminA },
        (tx) =>
          tx`insert into public.suppliers (organization_id, name) values (${t.orgA}, 'Fresh supplier')`,
      );

      // Writes by other clients reach an isolate's L1 within CACHE_L1_REVALIDATE_INTERVAL
      // (short in the test stack): past it, the old body is never served as fresh.
      await new Promise((resolve) => setTimeout(resolve, TEST_INTERVALS.l1RevalidateMs + 100));
      const next = await readDataset(tokenA, "supplier-data", query);
      assert.equal(next.response.headers.get("x-cache"), "STALE", "never the old body as fresh");
      const refreshed = await pollUntil("the refreshed supplier-data", async () => {
        const read = await readDataset(tokenA, "supplier-data", query);
        return read.response.headers.get("x-cache") === "HIT" && /Fresh supplier/.test(read.text)
          ? read
          : undefined;
      });
      assert.notEqual(refreshed.response.headers.get("etag"), first.response.headers.get("etag"));

      const stillB = await readDataset(
        serviceRoleKey,
        "supplier-data",
        `organization_id=${t.orgB}`,
      );
      assert.equal(stillB.response.headers.get("x-cache"), "HIT", "B is untouched by A's write");
      assert.equal(stillB.text, warmB.text);

      const nightly = await readDataset(tokenA, "dashboard-metrics", query);
      await sql`insert into public.suppliers (organization_id, name) values (${t.orgA}, 'Another')`;
      const nightlyAfter = await readDataset(tokenA, "dashboard-metrics", query);
      assert.equal(
        nightlyAfter.response.headers.get("x-cache"),
        "HIT",
        "nightly snapshots are not invalidated by writes",
      );
      assert.equal(nightlyAfter.text, nightly.text);
    } finally {
      await sql.end();
    }
  });
});

Deno.test("two function processes sharing the database honour a purge within the L1 bound", async () => {
  const entrypoint = fileURLToPath(
    new URL("../../supabase/functions/datasets/index.ts", import.meta.url),
  );
  const env = functionEnvironment(testStack, TEST_FUNCTION_ENV);
  const second = new FunctionProcess(
    { name: "datasets", entrypoint, verifyJwt: true },
    env,
    "datasets#2",
  );
  await second.start();
  const port = freePort();
  const gateway = startGateway({
    port,
    jwtSecret: LOCAL_JWT_SECRET,
    jwks: LOCAL_JWKS,
    functions: new Map([["datasets", second]]),
  });
  const secondUrl = `http://127.0.0.1:${port}/functions/v1/datasets`;
  const sql = connectAsSuperuser(1);
  try {
    await withTwoTenants(async (t) => {
      const token = await tokenFor(t.memberA);
      const query = `organization_id=${t.orgA}`;
      const viaFirst = await readDataset(token, "supplier-metrics", query);
      assert.equal(viaFirst.response.headers.get("x-cache"), "MISS", viaFirst.text);
      const viaSecond = await readDataset(token, "supplier-metrics", query, {}, secondUrl);
      assert.equal(viaSecond.response.headers.get("x-cache"), "HIT", "the second isolate reads L2");
      assert.equal(viaSecond.text, viaFirst.text);
      // Both isolates now hold the entry in L1.
      assert.equal(
        (await readDataset(token, "supplier-metrics", query)).response.headers.get("x-cache"),
        "HIT",
      );

      await sql`select cache.invalidate_datasets(${t.orgA}, array['supplier-metrics'], 'purge')`;
      // Past CACHE_L1_REVALIDATE_INTERVAL (short in the test stack) neither isolate serves the
      // purged body.
      await new Promise((resolve) => setTimeout(resolve, TEST_INTERVALS.l1RevalidateMs + 100));
      for (const baseUrl of [undefined, secondUrl]) {
        const after = await readDataset(token, "supplier-metrics", query, {}, baseUrl);
        assert.equal(after.response.status, 200, after.text);
        assert.notEqual(after.response.headers.get("x-cache"), "STALE");
        // Equal rows give equal bytes (the ETag derives from the data): what tells the
        // purged entry from its recomputation is when it was generated.
        assert.notEqual(
          after.response.headers.get("x-generated-at"),
          viaFirst.response.headers.get("x-generated-at"),
          "a purged entry is never served again",
        );
      }
    });
  } finally {
    await sql.end();
    await gateway.shutdown();
    await second.stop();
  }
});
