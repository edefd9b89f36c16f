import assert from "node:assert/strict";
import { z } from "zod";
import { corsHeaders } from "../../shared/http/cors.ts";
import { errorResponse } from "../../shared/http/error_response.ts";
import { readJsonBody } from "../../shared/http/json_body.ts";
import { MAX_QUERY_LENGTH, queryParams } from "../../shared/http/query_params.ts";

async function statusOf(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise;
  } catch (error) {
    const response = errorResponse(error);
    return { status: response.status, code: (await response.json()).error.code };
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
    const response = errorResponse(
      await readJsonBody(post('{"name":""}'), schema).catch((e) => e),
    );
    const body = await response.json();
    assert.equal(body.error.details.problems[0].path, "name");
    assert.match(body.error.message, /^Invalid body: name: /);
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

Deno.test("corsHeaders allows listed origins only", () => {
  const from = (origin: string) => new Request("http://x", { headers: { origin } });
  assert.equal(corsHeaders(from("https://a.example"))["Access-Control-Allow-Origin"], "*");
  const listed = { allowedOrigins: ["https://a.example"] };
  assert.equal(
    corsHeaders(from("https://a.example"), listed)["Access-Control-Allow-Origin"],
    "https://a.example",
  );
  assert.equal(
    corsHeaders(from("https://evil.example"), listed)["Access-Control-Allow-Origin"],
    undefined,
  );
  assert.match(
    corsHeaders(from("https://a.example"))["Access-Control-Expose-Headers"]!,
    /etag/,
  );
});

Deno.test("errorResponse never leaks internals of unknown errors", async () => {
  const response = errorResponse(new Error("password=hunter2 at line 3"));
  assert.equal(response.status, 500);
  const text = await response.text();
  assert.doesNotMatch(text, /hunter2|line 3/);
  assert.equal(JSON.parse(text).error.code, "internal_error");
});
