/**
 * `NightshiftClient.fetchDataset` with the real supabase-js against the stack:
 * GET through `functions.invoke`, the 304 path (stored body returned), a new
 * body after a change, and typed errors with the server's code and message.
 */
import assert from "node:assert/strict";
import { MemoryEtagStore, NightshiftClient, NightshiftError } from "../../client/src/mod.ts";
import { serviceRoleKey, withTwoTenants } from "../functions/datasets_support.ts";
import { pollUntil } from "../support/poll.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { nightshiftFor, supabaseWithToken } from "./client_support.ts";

Deno.test("fetchDataset revalidates with the ETag: a 304 returns the stored body", async () => {
  await withTwoTenants(async (t) => {
    const client = await nightshiftFor(t.memberA);
    const first = await client.fetchDataset("supplier-data", {
      organization_id: t.orgA,
      limit: 10,
    });
    assert.equal(first.revalidated, false);
    assert.match(first.etag, /^"[0-9a-f]{32}"$/);
    assert.equal(first.meta.dataset, "supplier-data");
    assert.equal(first.meta.organization_id, t.orgA);
    assert.ok(first.data.some((row) => row.name === "Used supplier"));
    assert.ok(first.generatedAt && first.freshUntil);

    const second = await client.fetchDataset("supplier-data", {
      limit: 10,
      organization_id: t.orgA,
    });
    assert.equal(second.revalidated, true, "the server answered 304");
    assert.equal(second.etag, first.etag);
    assert.deepEqual(second.data, first.data);
    assert.equal(second.cache, "HIT");

    // A change of the data: the next read is a 200 with the new body.
    const sql = connectAsSuperuser(1);
    try {
      await sql`update public.suppliers set phone = '+45 8765 4321' where id = ${t.usedSupplierA}`;
    } finally {
      await sql.end();
    }
    const changed = await pollUntil("a new body", async () => {
      const read = await client.fetchDataset("supplier-data", {
        organization_id: t.orgA,
        limit: 10,
      });
      return read.revalidated ? undefined : read;
    });
    assert.notEqual(changed.etag, first.etag);
    assert.equal(changed.data.find((row) => row.name === "Used supplier")?.phone, "+45 8765 4321");
  });
});

Deno.test("fetchDataset refetches in full when the stored body is gone", async () => {
  await withTwoTenants(async (t) => {
    const store = new MemoryEtagStore(1);
    const client = new NightshiftClient((await nightshiftFor(t.memberA)).supabase, {
      etagStore: store,
    });
    await client.fetchDataset("location-data", { organization_id: t.orgA });
    await client.fetchDataset("supplier-data", { organization_id: t.orgA }); // evicts location-data
    const again = await client.fetchDataset("location-data", { organization_id: t.orgA });
    assert.equal(again.revalidated, false);
    assert.ok(again.data.length > 0);
  });
});

Deno.test("fetchDataset throws NightshiftError with the server's code, status, message and details", async (step) => {
  await withTwoTenants(async (t) => {
    const member = await nightshiftFor(t.memberA);
    const cases: Array<[string, () => Promise<unknown>, string, number, RegExp]> = [
      [
        "another organization",
        () => member.fetchDataset("supplier-data", { organization_id: t.orgB }),
        "forbidden",
        403,
        /Not a member/,
      ],
      [
        "bad parameter",
        () => member.fetchDataset("supplier-data", { organization_id: t.orgA, limit: 5000 }),
        "invalid_request",
        400,
        /limit/,
      ],
      [
        "unknown dataset",
        // @ts-expect-error not a dataset: the server answers 404
        () => member.fetchDataset("no-such-dataset", { organization_id: t.orgA }),
        "not_found",
        404,
        /Unknown dataset/,
      ],
      [
        "bad token",
        () =>
          new NightshiftClient(supabaseWithToken("not-a-jwt")).fetchDataset("supplier-data", {
            organization_id: t.orgA,
          }),
        "unauthorized", // datasets verifies callers itself (verify_jwt = false, sb_ keys)
        401,
        /JWT|token/i,
      ],
    ];
    for (const [name, call, code, status, message] of cases) {
      await step.step(name, async () => {
        const error = await call().then(() => undefined, (failure: unknown) => failure);
        assert.ok(error instanceof NightshiftError, `${name}: ${error}`);
        assert.equal(error.code, code);
        assert.equal(error.status, status);
        assert.match(error.message, message);
        assert.equal(error.isClientError, true);
      });
    }
    const invalid = await member.fetchDataset("supplier-data", {
      organization_id: t.orgA,
      limit: 0,
    })
      .catch((failure: NightshiftError) => failure);
    assert.ok(invalid instanceof NightshiftError && invalid.details !== undefined, "details kept");
  });
});

Deno.test("functions.invoke defaults to POST, which datasets refuses: the client always GETs", async () => {
  await withTwoTenants(async (t) => {
    const supabase = supabaseWithToken(serviceRoleKey);
    const { error } = await supabase.functions.invoke(
      `datasets/supplier-data?organization_id=${t.orgA}`,
    );
    assert.equal((error?.context as Response | undefined)?.status, 405);
    await (error?.context as Response).body?.cancel();
    const client = new NightshiftClient(supabase);
    const read = await client.fetchDataset("supplier-data", { organization_id: t.orgA });
    assert.ok(read.data.length > 0);
  });
});

Deno.test("nightly status: an owner gets the organization's; a member gets a forbidden error", async () => {
  await withTwoTenants(async (t) => {
    const owner = await nightshiftFor(t.ownerA);
    const status = await owner.fetchNightlyStatus(t.orgA);
    assert.equal(status.organization.organization_id, t.orgA);
    assert.equal(status.organization.rebuilt_as_of_date, t.asOf);
    assert.equal(typeof status.running, "boolean");
    assert.equal(status.failed, false);
    const member = await nightshiftFor(t.memberA);
    const error = await member.fetchNightlyStatus(t.orgA).catch((failure: unknown) => failure);
    assert.ok(error instanceof NightshiftError);
    assert.deepEqual([error.code, error.status], ["forbidden", 403]);
  });
});
