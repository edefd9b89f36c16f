/**
 * Every route of every function, walked from one table (issue 13, item 9): each
 * refuses another method (405 with Allow), an unknown query parameter (400), a
 * content type other than JSON (415), and a body it does not take (400) or a
 * garbage / oversize JSON body (400 / 413) — before doing anything. The table is
 * checked against what each function says it serves, so a new route cannot be
 * left out.
 */
import assert from "node:assert/strict";
import { connectAsSuperuser, functionUrl, testStack } from "../support/stack.ts";
import { LOCAL_SECRET_KEY } from "../support/test_function_env.ts";
import { stackCronSecret } from "../nightly/support/organizations.ts";

interface RouteRow {
  readonly fn: "cache-admin" | "nightly-refresh" | "health" | "datasets";
  readonly method: "GET" | "POST";
  /** Path under the function; datasets: one dataset stands for all. */
  readonly path: string;
  /** What the route takes as a body. */
  readonly body: "none" | "json" | "optional-json";
  /** Status of a 12 KB garbage body: 400 where JSON is read, 413 past a small limit. */
  readonly garbage?: 400 | 413;
}

const ROUTES: readonly RouteRow[] = [
  { fn: "cache-admin", method: "POST", path: "/invalidate", body: "json" },
  { fn: "cache-admin", method: "GET", path: "/metrics", body: "none" },
  { fn: "cache-admin", method: "GET", path: "/metrics/prometheus", body: "none" },
  { fn: "cache-admin", method: "GET", path: "/health", body: "none" },
  { fn: "cache-admin", method: "POST", path: "/maintenance", body: "json" },
  { fn: "cache-admin", method: "GET", path: "/maintenance/history", body: "none" },
  {
    fn: "cache-admin",
    method: "POST",
    path: "/maintenance/schedule",
    body: "optional-json",
    garbage: 413,
  },
  { fn: "cache-admin", method: "GET", path: "/organizations", body: "none" },
  { fn: "cache-admin", method: "GET", path: "/metrics/series", body: "none" },
  { fn: "cache-admin", method: "GET", path: "/invalidations", body: "none" },
  { fn: "cache-admin", method: "GET", path: "/entries", body: "none" },
  { fn: "nightly-refresh", method: "POST", path: "/", body: "optional-json" },
  { fn: "nightly-refresh", method: "GET", path: "/runs", body: "none" },
  { fn: "nightly-refresh", method: "POST", path: "/rebuild", body: "json" },
  { fn: "nightly-refresh", method: "GET", path: "/status", body: "none" },
  { fn: "health", method: "GET", path: "/", body: "none" },
  { fn: "datasets", method: "GET", path: "/supplier-data", body: "none" },
];

const GARBAGE = "x".repeat(12 * 1024);

Deno.test("the route table lists every route each function serves", async () => {
  for (const fn of ["cache-admin", "nightly-refresh", "health"] as const) {
    const response = await fetch(functionUrl(`${fn}/no-such-route`), {
      headers: { apikey: LOCAL_SECRET_KEY, Authorization: `Bearer ${testStack.anonKey}` },
    });
    assert.equal(response.status, 404);
    const served = /serves (.*)$/.exec((await response.json()).error.message)![1]!.split(", ");
    assert.deepEqual(
      new Set(served),
      new Set(ROUTES.filter((route) => route.fn === fn).map((route) => route.path)),
      `${fn} serves ${served}`,
    );
  }
});

Deno.test("every route refuses what it does not take, strictly", async (t) => {
  const sql = connectAsSuperuser(1);
  const cronSecret = await stackCronSecret(sql).finally(() => sql.end());
  for (const route of ROUTES) {
    const url = functionUrl(`${route.fn}${route.path === "/" ? "" : route.path}`);
    const auth: Record<string, string> = route.fn === "nightly-refresh" && route.path === "/"
      ? { Authorization: `Bearer ${cronSecret}` }
      : route.fn === "health"
      ? { Authorization: `Bearer ${testStack.anonKey}` }
      : { apikey: LOCAL_SECRET_KEY };
    const query = route.fn === "datasets" ? "?organization_id=" + crypto.randomUUID() + "&" : "?";
    const send = async (init: RequestInit & { suffix?: string }) => {
      const response = await fetch(`${url}${init.suffix ?? ""}`, {
        ...init,
        headers: { ...auth, ...(init.headers as Record<string, string> ?? {}) },
      });
      const text = await response.text();
      return { status: response.status, text, allow: response.headers.get("allow") };
    };
    const label = `${route.method} ${route.fn}${route.path}`;
    const cases: Array<[string, RequestInit & { suffix?: string }, number]> = [
      ["another method", { method: "DELETE" }, 405],
      ["an unknown query parameter", { method: route.method, suffix: `${query}bogus=1` }, 400],
      [
        "a multipart content type",
        {
          method: route.method,
          headers: { "content-type": "multipart/form-data; boundary=x" },
          ...(route.method === "POST" ? { body: "--x--" } : {}),
        },
        415,
      ],
    ];
    if (route.method === "POST") {
      cases.push(
        [
          "a 12 KB garbage body",
          { method: "POST", body: GARBAGE, headers: { "content-type": "application/json" } },
          route.garbage ?? 400,
        ],
        [
          "a body past 16 KB",
          {
            method: "POST",
            body: JSON.stringify({ x: "y".repeat(20 * 1024) }),
            headers: { "content-type": "application/json" },
          },
          413,
        ],
      );
    }
    for (const [what, init, status] of cases) {
      await t.step(`${label}: ${what} → ${status}`, async () => {
        const answer = await send(init);
        assert.equal(answer.status, status, answer.text);
        assert.equal(typeof JSON.parse(answer.text).error.code, "string");
        if (status === 405) assert.match(answer.allow ?? "", new RegExp(route.method));
      });
    }
  }
});
