import assert from "node:assert/strict";
import { z } from "zod";
import { CacheComputeError, CacheStoreError, InvalidTagError } from "../../shared/cache/errors.ts";
import { answerOf } from "../../shared/http/error_status.ts";
import { readJsonBody } from "../../shared/http/json_body.ts";
import { MAX_QUERY_LENGTH, queryParams } from "../../shared/http/query_params.ts";

async function statusOf(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise;
  } catch (error) {
    const { status, code } = answerOf(error);
    return { status, code };
  }
  throw new Error("expected a rejection");
}

const schema = z.object({ name: z.string().min(1) }).strict();
const post = (body: BodyInit, contentType = "application/json") =>
  new Request("http://x", { method: "POST", body, headers: { "content-type": contentType } });

Deno.test("readJsonBody answers each bad body with its status and code", async (t) => {
  await t.step("valid body", async () => {
    assert.deepEqual(await readJsonBody(post('{"name":"a"}'), schema), { name: "a" });
  });
  const cases: Array<[string, Request, number, string]> = [
    ["non-JSON content type", post('{"name":"a"}', "text/plain"), 415, "unsupported_media_type"],
    ["malformed JSON", post("{nope"), 400, "invalid_request"],
    ["schema violation", post('{"name":""}'), 400, "invalid_request"],
    ["unknown field", post('{"name":"a","x":1}'), 400, "invalid_request"],
    ["oversize body", post(JSON.stringify({ name: "a".repeat(20_000) })), 413, "payload_too_large"],
  ];
  for (const [label, request, status, code] of cases) {
    await t.step(label, async () => {
      assert.deepEqual(await statusOf(readJsonBody(request, schema)), { status, code });
    });
  }
  await t.step("validation details name the field", async () => {
    const answer = answerOf(await readJsonBody(post('{"name":""}'), schema).catch((e) => e));
    assert.equal((answer.details as { problems: { path: string }[] }).problems[0]!.path, "name");
    assert.match(answer.message, /^Invalid body: name: /);
  });
});

Deno.test("queryParams refuses repeated and oversize parameters", async () => {
  assert.deepEqual(queryParams(new URL("http://x/?b=2&a=1")), { a: "1", b: "2" });
  assert.deepEqual(
    await statusOf(Promise.resolve().then(() => queryParams(new URL("http://x/?a=1&a=2")))),
    { status: 400, code: "invalid_request" },
  );
  const long = new URL(`http://x/?a=${"x".repeat(MAX_QUERY_LENGTH)}`);
  assert.deepEqual(await statusOf(Promise.resolve().then(() => queryParams(long))), {
    status: 413,
    code: "payload_too_large",
  });
});

Deno.test("answerOf maps cache codes and outages to statuses, only at the shell", async (t) => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
    code: "ECONNREFUSED",
  });
  const cases: Array<[string, unknown, number, string]> = [
    [
      "a bad tag (E_INVALID_TAG)",
      new InvalidTagError("Invalid tag: empty"),
      400,
      "invalid_request",
    ],
    [
      "the store down (E_STORE_UNAVAILABLE)",
      new CacheStoreError("read"),
      503,
      "service_unavailable",
    ],
    ["a connection refused", refused, 503, "service_unavailable"],
    [
      "a computation that failed on a refused connection",
      new CacheComputeError("k", { cause: refused }),
      503,
      "service_unavailable",
    ],
    [
      "a postgres.js connect timeout",
      Object.assign(new Error("write CONNECT_TIMEOUT"), { code: "CONNECT_TIMEOUT" }),
      503,
      "service_unavailable",
    ],
    [
      "too many connections (53300)",
      Object.assign(new Error("sorry, too many clients already"), { code: "53300" }),
      503,
      "service_unavailable",
    ],
    [
      "a statement timeout (57014)",
      Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" }),
      503,
      "service_unavailable",
    ],
    [
      "a failed computation",
      new CacheComputeError("k", { cause: new Error("bug") }),
      500,
      "internal_error",
    ],
    ["an unknown error", new TypeError("x is undefined"), 500, "internal_error"],
  ];
  for (const [label, error, status, code] of cases) {
    await t.step(label, () => {
      const answer = answerOf(error);
      assert.deepEqual([answer.status, answer.code], [status, code]);
      assert.equal(answer.retryAfterSeconds !== undefined, status === 503);
    });
  }
});

Deno.test("answerOf never shows internals of unknown errors", () => {
  const answer = answerOf(new Error("password=hunter2 at line 3"));
  assert.equal(answer.status, 500);
  assert.doesNotMatch(JSON.stringify(answer), /hunter2|line 3/);
});
