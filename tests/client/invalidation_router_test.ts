/**
 * The invalidation router with a real TanStack QueryClient and notices fed
 * directly (the shape of shared/invalidation/invalidation_notice.ts): exactly
 * the affected keys are invalidated, whatever the notice (fast-check), plus the
 * rules for duplicates, other organizations, purge, nightly and resubscription.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { QueryClient, QueryKey } from "@tanstack/query-core";
import {
  DATASET_NAMES,
  type DatasetName,
  InvalidationRouter,
  NIGHTLY_DATASETS,
  nightshiftKeys,
} from "../../client/src/mod.ts";
import type { InvalidationNotice } from "../../shared/invalidation/invalidation_notice.ts";
import { testQueryClient } from "./client_support.ts";

const ORG_A = "0a000000-0000-4000-8000-00000000000a";
const ORG_B = "0b000000-0000-4000-8000-00000000000b";

/** Two queries per dataset (different parameters) and the nightly status, for both organizations. */
function seededQueries(): { queryClient: QueryClient; keys: QueryKey[] } {
  const queryClient = testQueryClient();
  const keys: QueryKey[] = [];
  for (const organization of [ORG_A, ORG_B]) {
    for (const dataset of DATASET_NAMES) {
      for (const params of [{}, { limit: 5 }]) {
        keys.push([...nightshiftKeys.dataset(organization, dataset), params]);
      }
    }
    keys.push(nightshiftKeys.nightlyStatus(organization));
  }
  for (const key of keys) queryClient.setQueryData(key, { data: ["old"] });
  return { queryClient, keys };
}

let seq = 0;
function notice(overrides: Partial<InvalidationNotice>): InvalidationNotice {
  return {
    v: 1,
    seq: ++seq,
    organization_id: ORG_A,
    cause: "write",
    action: "expire",
    datasets: ["supplier-data"],
    tags: [`org:${ORG_A}:dataset:supplier-data`],
    at: new Date().toISOString(),
    ...overrides,
  };
}

const invalidated = (queryClient: QueryClient, keys: QueryKey[]) =>
  keys.filter((key) => queryClient.getQueryState(key)?.isInvalidated).map((key) =>
    JSON.stringify(key)
  );

/**
 * The expected effect, written independently of the router: which seeded keys a
 * notice touches for a listener of organization A.
 */
function expectedKeys(keys: QueryKey[], sent: InvalidationNotice): string[] {
  return keys.filter((key) => {
    const [, organization, kind, dataset] = key as [string, string, string, DatasetName?];
    if (sent.organization_id !== ORG_A || organization !== ORG_A) return false;
    if (sent.cause === "nightly") {
      return kind === "nightly-status" ||
        (sent.datasets ?? NIGHTLY_DATASETS).includes(dataset as DatasetName);
    }
    if (sent.datasets === null) return true;
    if (sent.datasets.length === 0) return sent.tags.length > 0;
    return kind === "datasets" && sent.datasets.includes(dataset as DatasetName);
  }).map((key) => JSON.stringify(key));
}

Deno.test("InvalidationRouter invalidates exactly the keys a notice affects", async () => {
  const arbitraryNotice = fc.record({
    v: fc.constant(1 as const),
    seq: fc.nat(),
    organization_id: fc.constantFrom(ORG_A, ORG_B),
    cause: fc.constantFrom("write", "admin", "maintenance", "nightly" as const),
    action: fc.constant("expire" as const),
    datasets: fc.option(fc.subarray([...DATASET_NAMES]), { nil: null }),
    tags: fc.array(fc.constantFrom("org:x", "custom:price-list", "org:x:dataset:y"), {
      maxLength: 3,
    }),
    at: fc.constant(new Date().toISOString()),
  });
  await fc.assert(
    fc.asyncProperty(arbitraryNotice, async (sent) => {
      const { queryClient, keys } = seededQueries();
      const router = new InvalidationRouter(queryClient, ORG_A);
      const outcome = await router.handle(sent);
      assert.deepEqual(invalidated(queryClient, keys).sort(), expectedKeys(keys, sent).sort());
      assert.equal(outcome.applied, sent.organization_id === ORG_A);
      queryClient.clear();
    }),
    { numRuns: 200 },
  );
});

Deno.test("InvalidationRouter rules", async (t) => {
  await t.step("a write names its datasets: only their queries of the organization", async () => {
    const { queryClient, keys } = seededQueries();
    const router = new InvalidationRouter(queryClient, ORG_A);
    await router.handle(notice({ datasets: ["supplier-data", "price-alerts"] }));
    assert.deepEqual(
      invalidated(queryClient, keys).sort(),
      [
        JSON.stringify([...nightshiftKeys.dataset(ORG_A, "price-alerts"), {}]),
        JSON.stringify([...nightshiftKeys.dataset(ORG_A, "price-alerts"), { limit: 5 }]),
        JSON.stringify([...nightshiftKeys.dataset(ORG_A, "supplier-data"), {}]),
        JSON.stringify([...nightshiftKeys.dataset(ORG_A, "supplier-data"), { limit: 5 }]),
      ].sort(),
    );
  });

  await t.step("a seq already seen is ignored; an older seq arriving late is not", async () => {
    const { queryClient, keys } = seededQueries();
    const router = new InvalidationRouter(queryClient, ORG_A);
    const first = notice({ seq: 1006 });
    assert.equal((await router.handle(first)).applied, true);
    for (const key of keys) queryClient.setQueryData(key, { data: ["new"] });
    const again = await router.handle(first);
    assert.deepEqual([again.applied, again.ignored], [false, "duplicate"]);
    assert.deepEqual(invalidated(queryClient, keys), []);
    assert.equal(
      (await router.handle(notice({ seq: 1005 }))).applied,
      true,
      "commits out of order",
    );
    assert.equal(invalidated(queryClient, keys).length, 2);
  });

  await t.step("datasets null: every query of the organization, none of another", async () => {
    const { queryClient, keys } = seededQueries();
    await new InvalidationRouter(queryClient, ORG_A).handle(notice({ datasets: null, tags: [] }));
    const touched = invalidated(queryClient, keys);
    assert.equal(touched.length, DATASET_NAMES.length * 2 + 1);
    assert.ok(touched.every((key) => key.includes(ORG_A)));
  });

  await t.step("custom tags only: conservatively the whole organization", async () => {
    const { queryClient, keys } = seededQueries();
    await new InvalidationRouter(queryClient, ORG_A).handle(
      notice({ cause: "admin", datasets: [], tags: [`org:${ORG_A}:custom:price-list`] }),
    );
    assert.equal(invalidated(queryClient, keys).length, DATASET_NAMES.length * 2 + 1);
  });

  await t.step("an unknown dataset name: conservatively the whole organization", async () => {
    const { queryClient, keys } = seededQueries();
    await new InvalidationRouter(queryClient, ORG_A).handle(
      notice({ cause: "admin", datasets: ["a-dataset-added-later"] }),
    );
    assert.equal(invalidated(queryClient, keys).length, DATASET_NAMES.length * 2 + 1);
  });

  await t.step(
    "nightly: the nightly datasets and the nightly status, not the live ones",
    async () => {
      const { queryClient, keys } = seededQueries();
      await new InvalidationRouter(queryClient, ORG_A).handle(
        notice({ cause: "nightly", datasets: null, tags: [] }),
      );
      const touched = invalidated(queryClient, keys);
      assert.equal(touched.length, NIGHTLY_DATASETS.length * 2 + 1);
      assert.ok(touched.includes(JSON.stringify(nightshiftKeys.nightlyStatus(ORG_A))));
      assert.ok(!touched.some((key) => key.includes("supplier-data")));
    },
  );

  await t.step(
    "purge drops the data (never shown again); expire keeps it while refetching",
    async () => {
      const { queryClient } = seededQueries();
      const router = new InvalidationRouter(queryClient, ORG_A);
      const supplierKey = [...nightshiftKeys.dataset(ORG_A, "supplier-data"), {}];
      const locationKey = [...nightshiftKeys.dataset(ORG_A, "location-data"), {}];
      await router.handle(notice({ action: "purge", datasets: ["supplier-data"] }));
      await router.handle(notice({ action: "expire", datasets: ["location-data"] }));
      assert.equal(queryClient.getQueryData(supplierKey), undefined);
      assert.deepEqual(queryClient.getQueryData(locationKey), { data: ["old"] });
    },
  );

  await t.step("another organization's notice and malformed payloads", async () => {
    const { queryClient, keys } = seededQueries();
    const router = new InvalidationRouter(queryClient, ORG_A);
    const other = await router.handle(notice({ organization_id: ORG_B }));
    assert.deepEqual([other.applied, other.ignored], [false, "other-organization"]);
    assert.equal((await router.handle("garbage")).applied, false);
    assert.deepEqual(invalidated(queryClient, keys), []);
    // This organization in a shape we do not know (a newer version): purge it all, to be safe.
    const future = await router.handle({ v: 2, organization_id: ORG_A, whatever: true });
    assert.deepEqual([future.applied, future.action], [true, "purge"]);
    assert.equal(
      queryClient.getQueryData([...nightshiftKeys.dataset(ORG_A, "price-alerts"), {}]),
      undefined,
    );
    assert.deepEqual(queryClient.getQueryData(nightshiftKeys.nightlyStatus(ORG_B)), {
      data: ["old"],
    });
  });

  await t.step(
    "resubscribed: every query of the organization (notices may have been missed)",
    async () => {
      const { queryClient, keys } = seededQueries();
      await new InvalidationRouter(queryClient, ORG_A).resubscribed();
      const touched = invalidated(queryClient, keys);
      assert.equal(touched.length, DATASET_NAMES.length * 2 + 1);
      assert.ok(touched.every((key) => key.includes(ORG_A)));
    },
  );
});
