/** `health` end to end: gateway → function → Postgres on the stack under test. */
import assert from "node:assert/strict";
import { functionUrl, testStack } from "../support/stack.ts";
import { NIGHTSHIFT_VERSION } from "../../shared/version.ts";

const authorized = { Authorization: `Bearer ${testStack.anonKey}` };

Deno.test("health answers 200 with its version and a live database", async () => {
  const response = await fetch(functionUrl("health"), { headers: authorized });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("cache-control"), "no-store");
  const body = await response.json();
  assert.equal(body.status, "ok");
  assert.equal(body.version, NIGHTSHIFT_VERSION);
  assert.equal(body.database.status, "ok");
  assert.equal(typeof body.database.latency_ms, "number");
});

Deno.test("health refuses a bad JWT with 401 JSON (verify_jwt is on)", async () => {
  const response = await fetch(functionUrl("health"), { headers: { Authorization: "Bearer bad" } });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error.code, "invalid_jwt");
});

Deno.test("health answers other methods and paths with JSON errors", async () => {
  const post = await fetch(functionUrl("health"), { method: "POST", headers: authorized });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD, OPTIONS");
  assert.equal((await post.json()).error.code, "method_not_allowed");
  const subPath = await fetch(functionUrl("health/elsewhere"), { headers: authorized });
  assert.equal(subPath.status, 404);
  assert.equal((await subPath.json()).error.code, "not_found");
});
