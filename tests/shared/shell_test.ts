import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { createShell, serveRoutes } from "../../shared/http/app.ts";
import { ForbiddenError } from "../../shared/http/errors.ts";
import type { Route } from "../../shared/http/route.ts";
import { configureLogging, formatLogLine, logger } from "../../shared/log/logging.ts";

/** Log lines written while `run` runs, parsed from the JSON the console would get. */
async function captureLogs(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  configureLogging({
    level: "debug",
    sink: (record: LogRecord) => lines.push(formatLogLine(record)),
  });
  try {
    await run();
  } finally {
    configureLogging({ level: "warning" });
  }
  return lines.map((line) => {
    assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"), "one line per record");
    return JSON.parse(line);
  });
}

const refused = () =>
  Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:54322"), { code: "ECONNREFUSED" });

const routes: Route[] = [
  { method: "GET", path: "/ok", handle: () => Promise.resolve(Response.json({ ok: true })) },
  { method: "GET", path: "/query", query: true, handle: () => Promise.resolve(new Response("q")) },
  {
    method: "GET",
    path: "/outage",
    handle: () => Promise.reject(new Error("Membership check failed", { cause: refused() })),
  },
  {
    method: "GET",
    path: "/bug",
    handle: () => Promise.reject(new TypeError("x is undefined", { cause: new Error("deeper") })),
  },
  { method: "GET", path: "/forbidden", handle: () => Promise.reject(new ForbiddenError()) },
  { method: "POST", path: "/ok", body: "json", handle: () => Promise.resolve(new Response("p")) },
];

function app(allowedOrigins: string[] = ["*"]) {
  const shell = createShell({
    name: "fn",
    allowedOrigins,
    log: logger("fn"),
    vary: ["Authorization"],
  });
  return serveRoutes(shell, "fn", routes);
}

const get = (path: string, headers: Record<string, string> = {}, method = "GET") =>
  app(["https://app.example.com"]).fetch(new Request(`http://x/fn${path}`, { method, headers }));

Deno.test("shell logs every 5xx as one JSON line with its cause chain and request id", async () => {
  let response: Response | undefined;
  const lines = await captureLogs(async () => {
    response = await get("/outage", { "sb-request-id": "req-123" });
  });
  assert.equal(response!.status, 503);
  assert.equal(response!.headers.get("Retry-After"), "5");
  assert.equal(response!.headers.get("X-Request-Id"), "req-123");
  assert.equal((await response!.json()).error.code, "service_unavailable");
  const failure = lines.find((line) => line.code === "service_unavailable");
  assert.ok(failure, JSON.stringify(lines));
  assert.equal(failure.level, "ERROR");
  assert.equal(failure.request_id, "req-123");
  assert.equal(failure.route, "/fn/outage");
  const chain = failure.error as { name: string; message: string; code?: string }[];
  assert.deepEqual(chain.map((link) => link.code ?? link.message), [
    "Membership check failed",
    "ECONNREFUSED",
  ]);
  const request = lines.find((line) => line.message === "request");
  assert.ok(request);
  assert.equal(request.level, "ERROR");
  assert.equal(request.status, 503);
  assert.equal(request.request_id, "req-123");
  assert.equal(request.function, "fn");
  assert.equal(typeof request["@timestamp"], "string");
  assert.equal(typeof request.duration_ms, "number");
});

Deno.test("shell answers an unknown error 500 without internals, and logs them", async () => {
  let response: Response | undefined;
  const lines = await captureLogs(async () => {
    response = await get("/bug");
  });
  assert.equal(response!.status, 500);
  assert.doesNotMatch(await response!.text(), /undefined|deeper/);
  const failure = lines.find((line) => line.code === "internal_error")!;
  const chain = failure.error as { message: string }[];
  assert.deepEqual(chain.map((link) => link.message), ["x is undefined", "deeper"]);
  assert.match(String(failure.request_id), /^[0-9a-f-]{36}$/);
  assert.equal(response!.headers.get("X-Request-Id"), failure.request_id);
});

Deno.test("shell logs a 4xx at info, without an error line", async () => {
  const lines = await captureLogs(async () => {
    assert.equal((await get("/forbidden")).status, 403);
  });
  assert.deepEqual(lines.map((line) => [line.level, line.status]), [["INFO", 403]]);
});

Deno.test("shell declares every request header its answers depend on in Vary", async (t) => {
  const origins = [undefined, "https://app.example.com", "https://other.example"];
  for (const path of ["/ok", "/forbidden", "/missing", "/outage"]) {
    for (const origin of origins) {
      await t.step(`${path} from ${origin ?? "no origin"}`, async () => {
        configureLogging({ level: "fatal" });
        const response = await get(path, origin ? { Origin: origin } : {});
        await response.body?.cancel();
        const vary = (response.headers.get("Vary") ?? "").split(/,\s*/);
        assert.ok(vary.includes("Origin"), `Vary: ${vary}`);
        assert.ok(vary.includes("Authorization"), `Vary: ${vary}`);
        assert.equal(
          response.headers.get("Access-Control-Allow-Origin"),
          origin === "https://app.example.com" ? origin : null,
        );
      });
    }
  }
  await t.step("preflights vary on Origin and the requested headers", async () => {
    const response = await get("/ok", {
      Origin: "https://app.example.com",
      "Access-Control-Request-Method": "GET",
    }, "OPTIONS");
    assert.equal(response.status, 204);
    const vary = (response.headers.get("Vary") ?? "").split(/,\s*/);
    assert.ok(vary.includes("Origin") && vary.includes("Access-Control-Request-Headers"));
    assert.match(response.headers.get("Access-Control-Allow-Headers") ?? "", /apikey/);
  });
  await t.step("with any origin allowed, Origin is not a Vary", async () => {
    const response = await app(["*"]).fetch(new Request("http://x/fn/ok"));
    assert.equal(response.headers.get("Access-Control-Allow-Origin"), "*");
    assert.equal(response.headers.get("Vary"), "Authorization");
  });
});

Deno.test("shell answers unknown paths 404 and other methods 405 with Allow", async () => {
  configureLogging({ level: "fatal" });
  const missing = await get("/nope");
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error.message, /fn serves \/ok, \/query, /);
  const wrong = await get("/query", {}, "DELETE");
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("Allow"), "GET, HEAD, OPTIONS");
  await wrong.body?.cancel();
  const head = await get("/ok", {}, "HEAD");
  assert.equal(head.status, 200);
});

Deno.test("shell refuses what a route does not take: query, body, content type", async (t) => {
  configureLogging({ level: "fatal" });
  const shell = app();
  const send = (path: string, init: RequestInit) =>
    shell.fetch(new Request(`http://x/fn${path}`, init));
  const cases: Array<[string, string, RequestInit, number]> = [
    ["a query on a route without one", "/ok?x=1", {}, 400],
    ["a query on a route with one", "/query?x=1", {}, 200],
    [
      "a 12 KB garbage body where none is taken",
      "/ok",
      { method: "GET", headers: { "content-length": "12288" } },
      400,
    ],
    [
      "a multipart content type where no body is taken",
      "/ok",
      { headers: { "content-type": "multipart/form-data; boundary=x" } },
      415,
    ],
    ["an oversize query", `/query?x=${"y".repeat(3000)}`, {}, 413],
  ];
  for (const [label, path, init, status] of cases) {
    await t.step(label, async () => {
      const response = await send(path, init);
      assert.equal(response.status, status);
      await response.body?.cancel();
    });
  }
});
