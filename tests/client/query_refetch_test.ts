/**
 * The loop a frontend relies on, with the real supabase-js, a real QueryClient
 * and an active QueryObserver against the stack: a base-table write, its notice
 * (fed to the router; the Realtime delivery is tested in
 * invalidation_listener_test.ts), the invalidation, and a refetch that returns
 * the new body at once — also while the server's L1 holds the old one.
 */
import assert from "node:assert/strict";
import { QueryObserver } from "@tanstack/query-core";
import { datasetQueryOptions, InvalidationRouter, nightshiftKeys } from "../../client/src/mod.ts";
import { withTwoTenants } from "../functions/datasets_support.ts";
import { pollUntil } from "../support/poll.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { nightshiftFor, testQueryClient } from "./client_support.ts";

Deno.test("a notice invalidates the active query and its refetch returns the new body", async () => {
  await withTwoTenants(async (t) => {
    const client = await nightshiftFor(t.memberA);
    const queryClient = testQueryClient();
    const options = datasetQueryOptions(client, "supplier-data", { organization_id: t.orgA });
    const observer = new QueryObserver(queryClient, options);
    const unsubscribe = observer.subscribe(() => {});
    const sql = connectAsSuperuser(1);
    try {
      const first = await pollUntil(
        "the first fetch",
        () => Promise.resolve(observer.getCurrentResult().data),
      );
      assert.equal(first.data.find((row) => row.name === "Used supplier")?.phone, null);
      const router = new InvalidationRouter(queryClient, t.orgA, client);
      for (const phone of ["+45 1111 1111", "+45 2222 2222", "+45 3333 3333"]) {
        // The server's L1 has the current body and a fresh tag snapshot.
        assert.equal(
          (await client.fetchDataset("supplier-data", { organization_id: t.orgA })).cache,
          "HIT",
        );
        await sql`update public.suppliers set phone = ${phone} where id = ${t.usedSupplierA}`;
        const outcome = await router.handle({
          v: 1,
          seq: Math.floor(Math.random() * 1e9),
          organization_id: t.orgA,
          cause: "write",
          action: "expire",
          datasets: ["supplier-data", "price-alerts"],
          tags: [],
          at: new Date().toISOString(),
        });
        assert.deepEqual(outcome.keys, [
          nightshiftKeys.dataset(t.orgA, "supplier-data"),
          nightshiftKeys.dataset(t.orgA, "price-alerts"),
        ]);
        const refetched = observer.getCurrentResult();
        assert.equal(refetched.isStale, false);
        assert.equal(
          refetched.data?.data.find((row) => row.name === "Used supplier")?.phone,
          phone,
          "the refetch right after the notice has the new body",
        );
        assert.equal(refetched.data?.revalidated, false);
      }
    } finally {
      unsubscribe();
      queryClient.clear();
      await sql.end();
    }
  });
});
