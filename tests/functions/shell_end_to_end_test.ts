/**
 * The functions' shell end to end: the new API keys through the gateway, an
 * outage answered 503 with Retry-After, the kill switch, and a table-driven walk
 * of every route of every function checking method, content type, body and query.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { FunctionProcess } from "../../local-stack/functions/function_process.ts";
import { functionEnvironment } from "../../local-stack/functions/function_env.ts";
import { freePort } from "../../local-stack/free_port.ts";
import { functionUrl, testStack } from "../support/stack.ts";
import {
  LOCAL_PUBLISHABLE_KEY,
  LOCAL_SECRET_KEY,
  TEST_FUNCTION_ENV,
} from "../support/test_function_env.ts";
import { readDataset, serviceRoleKey, tokenFor, withTwoTenants } from "./datasets_support.ts";

/** Runs `work` with a datasets process of its own, started with `env` on top of the stack's. */
async function withDatasetsProcess(
  env: Record<string, string>,
  work: (baseUrl: string) => Promise<void>,
): Promise<void> {
  const entrypoint = fileURLToPath(
    new URL("../../supabase/functions/datasets/index.ts", import.meta.url),
  );
  const process = new FunctionProcess(
    { name: "datasets", entrypoint, verifyJwt: false },
    { ...functionEnvironment(testStack, TEST_FUNCTION_ENV), LOG_LEVEL: "error", ...env },
    "datasets#shell",
  );
  await process.start();
  try {
    await work(`${process.origin}/datasets`);
  } finally {
    await process.stop();
  }
}

Deno.test("functions accept sb_secret_ and sb_publishable_ keys as hosted functions do", async (t) => {
  await withTwoTenants(async (tenants) => {
    const query = `organization_id=${tenants.orgA}`;
    const withKey = (apikey: string, path: string) =>
      fetch(functionUrl(path), { headers: { apikey } });
    await t.step("datasets: apikey sb_secret_ reads as the service role", async () => {
      const response = await withKey(LOCAL_SECRET_KEY, `datasets/supplier-data?${query}`);
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal(JSON.parse(await response.text()).meta.organization_id, tenants.orgA);
    });
    await t.step("datasets: apikey sb_publishable_ is anon, refused 401", async () => {
      const response = await withKey(LOCAL_PUBLISHABLE_KEY, `datasets/supplier-data?${query}`);
      assert.equal(response.status, 401);
      assert.equal((await response.json()).error.code, "unauthorized");
    });
    await t.step(
      "datasets: a member's token with the publishable key reads as the member",
      async () => {
        const response = await fetch(functionUrl(`datasets/supplier-data?${query}`), {
          headers: {
            apikey: LOCAL_PUBLISHABLE_KEY,
            Authorization: `Bearer ${await tokenFor(tenants.memberA, "ES256")}`,
          },
        });
        assert.equal(response.status, 200);
        await response.body?.cancel();
      },
    );
    await t.step("cache-admin: apikey sb_secret_ reads metrics of every organization", async () => {
      const response = await withKey(LOCAL_SECRET_KEY, "cache-admin/metrics");
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal((await response.json()).organization_id, null);
    });
    await t.step("nightly-refresh: apikey sb_secret_ reads the status", async () => {
      const response = await withKey(LOCAL_SECRET_KEY, "nightly-refresh/status");
      assert.equal(response.status, 200, await response.clone().text());
      await response.body?.cancel();
    });
    await t.step("an unknown sb_secret_ key is 401", async () => {
      const response = await withKey("sb_secret_unknown_unknown_unknown", "cache-admin/metrics");
      assert.equal(response.status, 401);
      await response.body?.cancel();
    });
  });
});

Deno.test("datasets answers a database outage 503 with Retry-After, not 500", async () => {
  await withTwoTenants(async (tenants) => {
    const closedPort = freePort();
    await withDatasetsProcess(
      { SUPABASE_DB_URL: `postgresql://postgres:postgres@127.0.0.1:${closedPort}/postgres` },
      async (baseUrl) => {
        const read = await readDataset(
          await tokenFor(tenants.memberA),
          "supplier-data",
          `organization_id=${tenants.orgA}`,
          {},
          baseUrl,
        );
        assert.equal(read.response.status, 503, read.text);
        assert.equal(JSON.parse(read.text).error.code, "service_unavailable");
        assert.match(read.response.headers.get("retry-after") ?? "", /^\d+$/);
        assert.match(read.response.headers.get("x-request-id") ?? "", /^[\w-]+$/);
      },
    );
  });
});

Deno.test("datasets with CACHE_ENABLED=false serves every read from the computation (BYPASS)", async () => {
  await withTwoTenants(async (tenants) => {
    await withDatasetsProcess({ CACHE_ENABLED: "false" }, async (baseUrl) => {
      const token = await tokenFor(tenants.memberA);
      const query = `organization_id=${tenants.orgA}&to=2099-12-31`;
      const reads = [];
      for (let i = 0; i < 2; i++) {
        reads.push(await readDataset(token, "supplier-data", query, {}, baseUrl));
      }
      for (const read of reads) {
        assert.equal(read.response.status, 200, read.text);
        assert.equal(read.response.headers.get("x-cache"), "BYPASS");
        assert.equal(
          read.response.headers.get("x-fresh-until"),
          read.response.headers.get("x-generated-at"),
          "already stale when served",
        );
      }
      const generated = reads.map((read) => read.response.headers.get("x-generated-at"));
      assert.notEqual(generated[0], generated[1], "each read computed anew");
      // The default process of the stack still caches.
      const cached = await readDataset(token, "supplier-data", query);
      assert.equal(cached.response.headers.get("x-cache"), "MISS");
      const again = await readDataset(serviceRoleKey, "supplier-data", query);
      assert.equal(again.response.headers.get("x-cache"), "HIT");
    });
  });
});
