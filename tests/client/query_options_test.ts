/**
 * TanStack Query options: tier timings per dataset, keys, and retries that skip
 * 4xx — with a real QueryClient and supabase-js counting its requests.
 */
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import {
  DATASET_NAMES,
  datasetQueryOptions,
  NightshiftClient,
  NightshiftError,
  nightshiftKeys,
  shouldRetry,
} from "../../client/src/mod.ts";
import { FRESHNESS, RETENTION } from "../../shared/cache/tiers.ts";
import { DATASETS } from "../../shared/datasets/registry.ts";
import { tokenFor, withTwoTenants } from "../functions/datasets_support.ts";
import { testStack } from "../support/stack.ts";
import { testQueryClient } from "./client_support.ts";

Deno.test("datasetQueryOptions takes staleTime and gcTime from the dataset's server tiers", () => {
  const client = new NightshiftClient(createClient(testStack.apiUrl, testStack.anonKey));
  for (const dataset of DATASET_NAMES) {
    const options = datasetQueryOptions(client, dataset, { organization_id: "0A" });
    assert.equal(options.staleTime, FRESHNESS[DATASETS[dataset].freshness], dataset);
    assert.equal(options.gcTime, RETENTION[DATASETS[dataset].retention], dataset);
    assert.deepEqual(
      options.queryKey,
      DATASETS[dataset].userScoped
        // The signed-in user is not known yet (null): keyed apart from every user.
        ? ["nightshift", "0a", "datasets", dataset, "user", null, {}]
        : ["nightshift", "0a", "datasets", dataset, {}],
      dataset,
    );
  }
  assert.deepEqual(
    nightshiftKeys.datasetQuery("price-alerts", { organization_id: "A", limit: 5 }, "u1"),
    ["nightshift", "a", "datasets", "price-alerts", "user", "u1", { limit: 5 }],
  );
  assert.throws(
    () => nightshiftKeys.datasetQuery("user-preferences", { organization_id: "a" }),
    /user-scoped and needs the user id/,
  );
  assert.deepEqual(
    nightshiftKeys.datasetQuery("supplier-data", {
      organization_id: "a",
      supplier_id: undefined,
      limit: 5,
      from: "2026-01-01",
    }),
    ["nightshift", "a", "datasets", "supplier-data", { from: "2026-01-01", limit: 5 }],
    "parameters canonical: sorted, absent ones dropped",
  );
  assert.equal(
    datasetQueryOptions(client, "price-alerts", { organization_id: "a" }).staleTime,
    30_000,
  );
});

Deno.test("shouldRetry skips 4xx and retries others three times", () => {
  const error = (status: number) => new NightshiftError({ code: "x", status, message: "x" });
  assert.equal(shouldRetry(0, error(400)), false);
  assert.equal(shouldRetry(0, error(403)), false);
  assert.equal(shouldRetry(0, error(429)), false);
  assert.equal(shouldRetry(0, error(503)), true);
  assert.equal(shouldRetry(0, error(0)), true, "network errors are retried");
  assert.equal(shouldRetry(3, error(503)), false);
  assert.equal(shouldRetry(1, new TypeError("x")), true);
});

Deno.test("a forbidden dataset query fails once, without retries", async () => {
  await withTwoTenants(async (t) => {
    let requests = 0;
    const token = await tokenFor(t.memberA);
    const supabase = createClient(testStack.apiUrl, testStack.anonKey, {
      accessToken: () => Promise.resolve(token),
      global: {
        fetch: (input, init) => {
          requests++;
          return fetch(input, init);
        },
      },
    });
    const queryClient = testQueryClient();
    const options = datasetQueryOptions(new NightshiftClient(supabase), "supplier-data", {
      organization_id: t.orgB,
    });
    const error = await queryClient.fetchQuery({ ...options, retryDelay: 1 }).catch((e) => e);
    assert.ok(error instanceof NightshiftError);
    assert.equal(error.status, 403);
    assert.equal(requests, 1);
  });
});
