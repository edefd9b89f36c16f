/**
 * Contract of the emulated pg_net (local-stack/extensions), pinned to
 * supabase/pg_net `sql/pg_net.sql` (0.20.4) and `src/worker.c`: signatures and
 * defaults, the argument checks pg_net makes (and those it does not: a null
 * body or null headers are queued as they are), delivery only after commit,
 * timeouts recorded, the worker's batch size and response TTL. Owners, grants
 * and function attributes are pinned in supabase/tests/database (pgTAP).
 */
import assert from "node:assert/strict";
import { HttpReceiver } from "../support/http_receiver.ts";
import { pollUntil } from "../support/poll.ts";
import { signaturesOf } from "../support/signatures.ts";
import { PG_NET_DEFAULTS } from "../../local-stack/net_worker.ts";
import { connectAsPostgres } from "../support/stack.ts";

interface HttpResponseRow {
  status_code: number | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
}

async function responseFor(sql: ReturnType<typeof connectAsPostgres>, id: string) {
  return await pollUntil(`net._http_response row ${id}`, async () => {
    const [row] = await sql<HttpResponseRow[]>`
      select status_code, content, timed_out, error_msg from net._http_response where id = ${id}`;
    return row;
  });
}

Deno.test("net.http_post has pg_net's signature and defaults", async () => {
  const sql = connectAsPostgres();
  try {
    assert.deepEqual(await signaturesOf(sql, "net", "http_post"), [{
      arguments:
        `url text, body jsonb DEFAULT '{}'::jsonb, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer DEFAULT 5000`,
      result: "bigint",
    }]);
    assert.deepEqual(await signaturesOf(sql, "net", "http_get"), [{
      arguments:
        `url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{}'::jsonb, timeout_milliseconds integer DEFAULT 5000`,
      result: "bigint",
    }]);
  } finally {
    await sql.end();
  }
});

Deno.test("net.http_post queues a null body, and rejects a non-JSON Content-Type", async () => {
  const sql = connectAsPostgres();
  const receiver = new HttpReceiver();
  try {
    const [row] = await sql<{ id: string }[]>`
      select net.http_post(url := ${receiver.url + "/null-body"}, body := null) as id`;
    const [request] = await receiver.waitFor(1);
    assert.equal(request!.method, "POST");
    assert.equal(request!.body, "");
    assert.equal((await responseFor(sql, row!.id)).status_code, 200);
    await assert.rejects(
      sql`select net.http_post(url := 'http://127.0.0.1:9/x', body := '{}'::jsonb,
                               headers := '{"Content-Type": "text/plain"}'::jsonb)`,
      /Content-Type header must be "application\/json"/,
    );
  } finally {
    await receiver.close();
    await sql.end();
  }
});

Deno.test("net.http_get queues null headers, as its headers column is nullable", async () => {
  const sql = connectAsPostgres();
  const receiver = new HttpReceiver();
  try {
    const [row] = await sql<{ id: string }[]>`
      select net.http_get(url := ${receiver.url + "/no-headers"}, headers := null) as id`;
    assert.ok(row!.id, "http_get is not STRICT: a null argument still queues a request");
    const [request] = await receiver.waitFor(1);
    assert.equal(request!.url.pathname, "/no-headers");
  } finally {
    await receiver.close();
    await sql.end();
  }
});

Deno.test("the pg_net worker is up and answers wake and restart", async () => {
  const sql = connectAsPostgres();
  try {
    await sql`select net.check_worker_is_up()`;
    await sql`select net.wake()`;
    const [restart] = await sql<{ restarted: boolean }[]>`select net.worker_restart() as restarted`;
    assert.equal(restart!.restarted, true);
    await sql`select net.wait_until_running()`;
    assert.deepEqual({ ...PG_NET_DEFAULTS }, { ttl: "6 hours", batchSize: 200 });
  } finally {
    await sql.end();
  }
});

Deno.test("net.http_post is sent after commit with body, headers and params", async () => {
  const sql = connectAsPostgres();
  const receiver = new HttpReceiver();
  try {
    const [row] = await sql<{ id: string }[]>`
      select net.http_post(
        url := ${receiver.url + "/hook"},
        body := '{"hello": "world"}'::jsonb,
        params := '{"a b": "c&d"}'::jsonb,
        headers := '{"Content-Type": "application/json", "X-Token": "t1"}'::jsonb
      ) as id`;
    const [request] = await receiver.waitFor(1);
    assert.equal(request!.method, "POST");
    assert.equal(request!.url.pathname, "/hook");
    assert.equal(request!.url.searchParams.get("a b"), "c&d");
    assert.equal(request!.headers.get("x-token"), "t1");
    assert.deepEqual(JSON.parse(request!.body), { hello: "world" });
    const response = await responseFor(sql, row!.id);
    assert.equal(response.status_code, 200);
    assert.equal(response.timed_out, false);
    assert.deepEqual(JSON.parse(response.content!), { received: true });
  } finally {
    await receiver.close();
    await sql.end();
  }
});

Deno.test("net.http_post enqueued in a rolled-back transaction is never sent", async () => {
  const sql = connectAsPostgres();
  const receiver = new HttpReceiver();
  try {
    await assert.rejects(
      sql.begin(async (tx) => {
        await tx`select net.http_post(url := ${receiver.url + "/rolled-back"})`;
        throw new Error("roll back");
      }),
      /roll back/,
    );
    // A committed request sent afterwards proves the worker ran past the rolled-back one.
    await sql`select net.http_post(url := ${receiver.url + "/committed"})`;
    await receiver.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(receiver.requests.map((r) => r.url.pathname), ["/committed"]);
  } finally {
    await receiver.close();
    await sql.end();
  }
});

Deno.test("net.http_post that exceeds timeout_milliseconds records timed_out", async () => {
  const sql = connectAsPostgres();
  const receiver = new HttpReceiver({ delayMs: 1_000 });
  try {
    const [row] = await sql<{ id: string }[]>`
      select net.http_post(url := ${receiver.url}, timeout_milliseconds := 100) as id`;
    const response = await responseFor(sql, row!.id);
    assert.equal(response.timed_out, true);
    assert.equal(response.status_code, null);
    assert.match(response.error_msg ?? "", /Timeout of 100 ms reached/);
  } finally {
    await receiver.close();
    await sql.end();
  }
});

Deno.test("net.http_get sends a GET with encoded params", async () => {
  const sql = connectAsPostgres();
  const receiver = new HttpReceiver();
  try {
    await sql`select net.http_get(url := ${
      receiver.url + "/get?x=1"
    }, params := '{"q": "ä ö"}'::jsonb)`;
    const [request] = await receiver.waitFor(1);
    assert.equal(request!.method, "GET");
    assert.equal(request!.url.searchParams.get("x"), "1");
    assert.equal(request!.url.searchParams.get("q"), "ä ö");
  } finally {
    await receiver.close();
    await sql.end();
  }
});
