/**
 * Properties of the JSON body boundary (`readJsonBody`, used by tick, rebuild,
 * invalidate and maintenance): whatever bytes, sizes and content types arrive,
 * a body is either returned exactly as sent (JSON, within the limit, accepted
 * by the schema) or refused with a clear 4xx code — 415, 413, 400 — and never
 * anything else.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { z } from "zod";
import { readJsonBody } from "../../shared/http/json_body.ts";

const MAX = 256;
const schema = z.object({ task: z.enum(["tick", "overdue-check"]) }).strict();

function request(body: Uint8Array<ArrayBuffer> | string, contentType: string | null): Request {
  const headers = new Headers();
  if (contentType !== null) headers.set("content-type", contentType);
  return new Request("http://localhost/", { method: "POST", headers, body });
}

async function outcome(req: Request, max = MAX): Promise<{ value?: unknown; code?: string }> {
  try {
    return { value: await readJsonBody(req, schema, max) };
  } catch (error) {
    const { code } = error as { code?: unknown };
    assert.ok(typeof code === "string", `a coded error: ${String(error)}`);
    return { code };
  }
}

const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "Application/JSON"];

Deno.test("readJsonBody returns a valid body exactly as sent", async () => {
  await fc.assert(fc.asyncProperty(
    fc.constantFrom("tick", "overdue-check"),
    fc.constantFrom(...JSON_TYPES),
    fc.constantFrom("", " ", "\n\t"),
    async (task, contentType, space) => {
      const body = `${space}{${space}"task"${space}:${space}${JSON.stringify(task)}${space}}`;
      assert.deepEqual(await outcome(request(body, contentType)), { value: { task } });
    },
  ));
});

Deno.test("readJsonBody: any bytes and content type get the body or 400, 413, 415", async () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 2 * MAX }).map((array) => new Uint8Array(array)),
    fc.json({ maxDepth: 3 }).map((text) => new TextEncoder().encode(text)),
    fc.string({ unit: "binary", maxLength: 2 * MAX }).map((text) => new TextEncoder().encode(text)),
  );
  const contentType = fc.oneof(
    fc.constantFrom(...JSON_TYPES, "text/plain", "multipart/form-data; boundary=x", ""),
    fc.constant(null),
    fc.string({ maxLength: 30 }),
  );
  await fc.assert(
    fc.asyncProperty(bytes, contentType, async (body, type) => {
      const result = await outcome(request(body, type));
      const isJsonType = type !== null && /^application\/json\b/i.test(type);
      if (!isJsonType) return assert.equal(result.code, "unsupported_media_type");
      if (body.byteLength > MAX) return assert.equal(result.code, "payload_too_large");
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
      } catch {
        return assert.equal(result.code, "invalid_request", "malformed JSON");
      }
      if (schema.safeParse(parsed).success) assert.deepEqual(result.value, parsed);
      else assert.equal(result.code, "invalid_request", "refused by the schema");
    }),
    { numRuns: 500 },
  );
});

Deno.test("readJsonBody counts the bytes it reads, whatever Content-Length claims", async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: MAX + 1, max: 4 * MAX }), async (size) => {
      const body = `{"task":"tick","pad":"${"x".repeat(size)}"}`;
      const req = new Request("http://localhost/", {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": "10" },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(body));
            controller.close();
          },
        }),
      });
      assert.equal((await outcome(req)).code, "payload_too_large");
    }),
    { numRuns: 20 },
  );
});
