/**
 * The functions gateway: routing of /functions/v1/<name>/<rest> for every
 * method, verify_jwt per function, and the env a function process receives.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { FunctionProcess } from "../../local-stack/functions/function_process.ts";
import { freePort } from "../../local-stack/free_port.ts";
import { startGateway } from "../../local-stack/gateway.ts";
import { rawRequest } from "../support/raw_http.ts";
import {
  LOCAL_ANON_KEY,
  LOCAL_JWKS,
  LOCAL_JWT_SECRET,
  mintUserToken,
} from "../../local-stack/keys.ts";

const echoEntrypoint = fileURLToPath(
  new URL("../fixtures/functions/echo/index.ts", import.meta.url),
);

Deno.test("gateway forwards to functions and honours verify_jwt", async (t) => {
  const env = { SUPABASE_URL: "http://127.0.0.1:1", ECHO_SECRET: "from-env-file" };
  const open = new FunctionProcess(
    { name: "open", entrypoint: echoEntrypoint, verifyJwt: false },
    env,
  );
  const guarded = new FunctionProcess(
    { name: "guarded", entrypoint: echoEntrypoint, verifyJwt: true },
    env,
  );
  await Promise.all([open.start(), guarded.start()]);
  const port = freePort();
  const gateway = startGateway({
    port,
    jwtSecret: LOCAL_JWT_SECRET,
    jwks: LOCAL_JWKS,
    functions: new Map([["open", open], ["guarded", guarded]]),
  });
  const base = `http://127.0.0.1:${port}/functions/v1`;
  try {
    await t.step("passes method, sub-path, query and body through", async () => {
      const response = await fetch(`${base}/open/a/b?x=1&y=2`, { method: "PATCH", body: "hello" });
      assert.equal(response.status, 200);
      const echoed = await response.json();
      assert.equal(echoed.method, "PATCH");
      assert.equal(echoed.path, "/open/a/b");
      assert.equal(echoed.query, "?x=1&y=2");
      assert.equal(echoed.body, "hello");
      assert.equal(echoed.hasWaitUntil, true);
      assert.deepEqual(echoed.env, { supabaseUrl: "http://127.0.0.1:1", secret: "from-env-file" });
    });
    await t.step("forwards a POST without a body bodiless, as hosted's gateway does", async () => {
      // curl -X POST with no data sends neither Content-Length nor Transfer-Encoding.
      const response = await rawRequest(port, "POST /functions/v1/open/x HTTP/1.1\r\n");
      assert.equal(response.status, 200, response.text);
      const echoed = JSON.parse(response.body);
      assert.equal(echoed.method, "POST");
      assert.equal(echoed.transferEncoding, null);
      // The Fetch standard has a bodiless POST/PUT carry `Content-Length: 0`: an empty body.
      assert.ok([null, "0"].includes(echoed.contentLength), echoed.contentLength);
      assert.equal(echoed.body, "");
    });
    await t.step("keeps the function's status", async () => {
      const response = await fetch(`${base}/open/teapot`);
      assert.equal(response.status, 418);
      await response.body?.cancel();
    });
    await t.step("verify_jwt=false lets requests without a token through", async () => {
      const response = await fetch(`${base}/open`);
      assert.equal(response.status, 200);
      await response.body?.cancel();
    });
    for (
      const [label, header] of [
        ["a missing token", undefined],
        ["a malformed token", "Bearer not-a-jwt"],
        [
          "a token signed with another secret",
          `Bearer ${await mintUserToken({ userId: crypto.randomUUID() }, "x".repeat(40))}`,
        ],
        [
          "an expired token",
          `Bearer ${await mintUserToken({ userId: crypto.randomUUID(), expiresInSeconds: -60 })}`,
        ],
      ] as const
    ) {
      await t.step(`verify_jwt=true answers 401 JSON for ${label}`, async () => {
        const response = await fetch(
          `${base}/guarded`,
          header ? { headers: { Authorization: header } } : {},
        );
        assert.equal(response.status, 401);
        assert.match(response.headers.get("content-type") ?? "", /application\/json/);
        assert.deepEqual(await response.json(), {
          msg: "Invalid JWT",
          error: { code: "invalid_jwt", message: "Invalid JWT" },
        });
      });
    }
    await t.step("verify_jwt=true accepts the anon key and user tokens", async () => {
      const userId = crypto.randomUUID();
      for (
        const token of [
          LOCAL_ANON_KEY,
          await mintUserToken({ userId }),
          await mintUserToken({ userId, algorithm: "ES256" }),
        ]
      ) {
        const response = await fetch(`${base}/guarded`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        assert.equal(response.status, 200);
        assert.equal((await response.json()).authorization, `Bearer ${token}`);
      }
    });
    await t.step("serves the JWKS as Supabase Auth does", async () => {
      const response = await fetch(`http://127.0.0.1:${port}/auth/v1/.well-known/jwks.json`);
      assert.deepEqual(await response.json(), LOCAL_JWKS);
      assert.equal("d" in LOCAL_JWKS.keys[0]!, false, "the private part is never published");
    });
    await t.step("CORS preflight reaches the function without a token", async () => {
      const response = await fetch(`${base}/guarded`, { method: "OPTIONS" });
      assert.equal(response.status, 200);
      await response.body?.cancel();
    });
    await t.step("unknown function and foreign paths are 404 JSON", async () => {
      for (const url of [`${base}/missing`, `http://127.0.0.1:${port}/rest/v1/x`]) {
        const response = await fetch(url);
        assert.equal(response.status, 404);
        assert.equal(typeof (await response.json()).error.code, "string");
      }
    });
  } finally {
    await gateway.shutdown();
    await Promise.all([open.stop(), guarded.stop()]);
  }
});
