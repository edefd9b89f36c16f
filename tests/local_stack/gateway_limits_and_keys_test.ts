/**
 * The gateway's Edge Runtime limits and the new API keys.
 * Limits pin https://supabase.com/docs/guides/functions/limits (wall clock,
 * request idle timeout → 504) and supabase/cli
 * `apps/cli-go/internal/functions/serve/templates/main.ts` (546 WORKER_LIMIT body,
 * `SUPABASE_PUBLISHABLE_KEYS` / `SUPABASE_SECRET_KEYS` as `{"default": key}`);
 * keys pin supabase/cli `apps/cli-go/pkg/config/apikeys.go` (local values) and
 * `packages/stack/src/ApiProxy.ts` (`transformAuthorization`).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { HOSTED_FREE_LIMITS } from "../../local-stack/edge_runtime_limits.ts";
import { functionEnvironment } from "../../local-stack/functions/function_env.ts";
import { FunctionProcess } from "../../local-stack/functions/function_process.ts";
import { freePort } from "../../local-stack/free_port.ts";
import { forwardedAuthorization, startGateway } from "../../local-stack/gateway.ts";
import {
  LOCAL_ANON_KEY,
  LOCAL_JWKS,
  LOCAL_PUBLISHABLE_KEY,
  LOCAL_SECRET_KEY,
  LOCAL_SERVICE_ROLE_KEY,
} from "../../local-stack/keys.ts";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/functions/${name}/index.ts`, import.meta.url));

Deno.test("gateway maps sb_ keys as the Supabase CLI's proxy does", async (t) => {
  await t.step("the local values are the CLI's", () => {
    assert.equal(LOCAL_PUBLISHABLE_KEY, "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH");
    assert.equal(LOCAL_SECRET_KEY, "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz");
  });
  await t.step("functions get the key sets as JSON objects name → key", () => {
    const env = functionEnvironment({ apiUrl: "http://x", dbUrl: "postgres://x" });
    assert.deepEqual(JSON.parse(env.SUPABASE_PUBLISHABLE_KEYS!), {
      default: LOCAL_PUBLISHABLE_KEY,
    });
    assert.deepEqual(JSON.parse(env.SUPABASE_SECRET_KEYS!), { default: LOCAL_SECRET_KEY });
  });
  const cases: [string, Record<string, string>, string | null][] = [
    ["publishable apikey", { apikey: LOCAL_PUBLISHABLE_KEY }, `Bearer ${LOCAL_ANON_KEY}`],
    ["secret apikey", { apikey: LOCAL_SECRET_KEY }, `Bearer ${LOCAL_SERVICE_ROLE_KEY}`],
    [
      "sb_ bearer with publishable apikey",
      { apikey: LOCAL_PUBLISHABLE_KEY, authorization: `Bearer ${LOCAL_PUBLISHABLE_KEY}` },
      `Bearer ${LOCAL_ANON_KEY}`,
    ],
    ["user bearer kept", { apikey: LOCAL_SECRET_KEY, authorization: "Bearer user" }, "Bearer user"],
    ["legacy apikey", { apikey: LOCAL_ANON_KEY }, LOCAL_ANON_KEY],
    ["nothing", {}, null],
  ];
  for (const [label, headers, expected] of cases) {
    await t.step(`forwarded authorization: ${label}`, () => {
      assert.equal(forwardedAuthorization(new Headers(headers)), expected);
    });
  }
});

Deno.test("gateway enforces Edge Runtime limits with hosted's answers", async (t) => {
  assert.deepEqual(HOSTED_FREE_LIMITS, {
    wallClockMs: 150_000,
    requestIdleTimeoutMs: 150_000,
    memoryLimitMb: 256,
    cpuTimeMs: 2_000,
  });
  const slow = new FunctionProcess(
    { name: "slow", entrypoint: fixture("slow"), verifyJwt: true },
    { SUPABASE_URL: "http://127.0.0.1:1" },
  );
  await slow.start();
  const servers = [
    { wallClockMs: 1000, requestIdleTimeoutMs: 10_000 },
    { wallClockMs: 10_000, requestIdleTimeoutMs: 500 },
  ].map((limits) => {
    const port = freePort();
    const server = startGateway({
      port,
      jwks: LOCAL_JWKS,
      functions: new Map([["slow", slow]]),
      limits,
    });
    return { base: `http://127.0.0.1:${port}/functions/v1/slow`, server };
  });
  const [wallClock, idle] = servers as [typeof servers[0], typeof servers[0]];
  const headers = { apikey: LOCAL_PUBLISHABLE_KEY };
  try {
    await t.step(
      "within the limits the function answers (publishable key passes verify_jwt)",
      async () => {
        const response = await fetch(`${wallClock.base}?delay_ms=50`, { headers });
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { sleptMs: 50 });
      },
    );
    await t.step("an unknown sb_ key fails verify_jwt", async () => {
      const response = await fetch(`${wallClock.base}?delay_ms=0`, {
        headers: { apikey: "sb_publishable_not-ours" },
      });
      assert.equal(response.status, 401);
      await response.body?.cancel();
    });
    await t.step("past the wall clock: 546 WORKER_LIMIT", async () => {
      const started = Date.now();
      const response = await fetch(`${wallClock.base}?delay_ms=3000`, { headers });
      assert.equal(response.status, 546);
      assert.deepEqual(await response.json(), {
        code: "WORKER_LIMIT",
        message: "Worker failed to respond due to a resource limit (please check logs)",
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1000 && elapsed < 2500, `cut off after ${elapsed} ms`);
    });
    await t.step("a streamed body past the wall clock is cut off", async () => {
      const response = await fetch(`${wallClock.base}?stream=1&delay_ms=3000`, { headers });
      assert.equal(response.status, 200);
      await assert.rejects(response.text());
    });
    await t.step("no response head within the idle timeout: 504", async () => {
      const response = await fetch(`${idle.base}?delay_ms=2000`, { headers });
      assert.equal(response.status, 504);
      assert.equal((await response.json()).code, "GATEWAY_TIMEOUT");
    });
    await t.step("a streamed body may outlast the idle timeout", async () => {
      const response = await fetch(`${idle.base}?stream=1&delay_ms=1000`, { headers });
      assert.equal(response.status, 200);
      assert.match(await response.text(), /1000\n$/);
    });
  } finally {
    await Promise.all(servers.map(({ server }) => server.shutdown()));
    await slow.stop();
  }
});

Deno.test("a function past its memory limit gets 546 and a fresh process", async () => {
  const hungry = new FunctionProcess(
    { name: "hungry", entrypoint: fixture("hungry"), verifyJwt: false },
    { SUPABASE_URL: "http://127.0.0.1:1" },
    "hungry",
    64,
  );
  await hungry.start();
  const port = freePort();
  const server = startGateway({ port, jwks: LOCAL_JWKS, functions: new Map([["hungry", hungry]]) });
  const base = `http://127.0.0.1:${port}/functions/v1/hungry`;
  try {
    const small = await fetch(`${base}?mb=4`);
    assert.deepEqual(await small.json(), { kept: 4 });
    const big = await fetch(`${base}?mb=200`);
    assert.equal(big.status, 546);
    assert.equal((await big.json()).code, "WORKER_LIMIT");
    await hungry.restart(); // the gateway's restart, awaited here
    const after = await fetch(base);
    assert.deepEqual(await after.json(), { kept: 0 }, "a new process, memory released");
  } finally {
    await server.shutdown();
    await hungry.stop();
  }
});

Deno.test("a request past its CPU time gets 546 and a fresh process; waiting costs none", async (t) => {
  const busy = new FunctionProcess(
    { name: "busy", entrypoint: fixture("busy"), verifyJwt: false },
    { SUPABASE_URL: "http://127.0.0.1:1" },
  );
  const slow = new FunctionProcess(
    { name: "slow", entrypoint: fixture("slow"), verifyJwt: false },
    { SUPABASE_URL: "http://127.0.0.1:1" },
  );
  await Promise.all([busy.start(), slow.start()]);
  const port = freePort();
  const server = startGateway({
    port,
    jwks: LOCAL_JWKS,
    functions: new Map([["busy", busy], ["slow", slow]]),
    limits: { wallClockMs: 60_000, requestIdleTimeoutMs: 60_000, cpuTimeMs: 400 },
  });
  const base = `http://127.0.0.1:${port}/functions/v1`;
  try {
    const firstPid = busy.pid;
    await t.step("under the limit the function answers", async () => {
      const response = await fetch(`${base}/busy?burn_ms=50`);
      assert.equal(response.status, 200);
      assert.equal((await response.json()).pid, firstPid);
    });
    await t.step(
      "a busy loop past the CPU time: 546 WORKER_LIMIT, long before it ends",
      async () => {
        const started = Date.now();
        const response = await fetch(`${base}/busy?burn_ms=30000`);
        assert.equal(response.status, 546);
        assert.deepEqual(await response.json(), {
          code: "WORKER_LIMIT",
          message: "Worker failed to respond due to a resource limit (please check logs)",
        });
        const elapsed = Date.now() - started;
        assert.ok(elapsed < 6000, `cut off after ${elapsed} ms`);
      },
    );
    await t.step("the next request is served by a fresh process, the old one killed", async () => {
      const started = Date.now();
      const response = await fetch(`${base}/busy?burn_ms=1`);
      // Not after the old process's 30 s loop: it does not wait for SIGTERM to be read.
      assert.ok(Date.now() - started < 15_000, `served after ${Date.now() - started} ms`);
      assert.equal(response.status, 200);
      const { pid } = await response.json();
      assert.notEqual(pid, firstPid);
      assert.equal(pid, busy.pid);
    });
    await t.step("time spent waiting (async I/O, timers) is not CPU time", async () => {
      const response = await fetch(`${base}/slow?delay_ms=1500`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { sleptMs: 1500 });
    });
  } finally {
    await server.shutdown();
    await Promise.all([busy.stop(), slow.stop()]);
  }
});

Deno.test("a body cut off by the wall clock stops charging CPU to its request", async () => {
  const busy = new FunctionProcess(
    { name: "busy", entrypoint: fixture("busy"), verifyJwt: false },
    { SUPABASE_URL: "http://127.0.0.1:1" },
  );
  await busy.start();
  const port = freePort();
  const server = startGateway({
    port,
    jwks: LOCAL_JWKS,
    functions: new Map([["busy", busy]]),
    limits: { wallClockMs: 1_000, requestIdleTimeoutMs: 60_000, cpuTimeMs: 400 },
  });
  const base = `http://127.0.0.1:${port}/functions/v1/busy`;
  try {
    const pid = busy.pid;
    // Cut off after its head: its CPU ticket must close with it. Left open, it took a
    // share of every later request's CPU until it passed the limit and the process
    // was killed under a request that stayed within its own 400 ms.
    const streamed = await fetch(`${base}?stream=1&delay_ms=5000`);
    assert.equal(streamed.status, 200);
    await streamed.text().catch(() => {});
    for (let i = 0; i < 8; i++) {
      const response = await fetch(`${base}?burn_ms=150`);
      assert.equal(response.status, 200, `request ${i}: ${response.status}`);
      assert.equal((await response.json()).pid, pid, `request ${i} served by the same process`);
    }
  } finally {
    await server.shutdown();
    await busy.stop();
  }
});
