/**
 * The local GoTrue subset against the real supabase-js (pinned in import_map.json).
 * Pins supabase/auth `internal/api/token.go` (password grant, `InvalidLoginMessage`),
 * `internal/tokens/service.go` (`RefreshTokenGrant`, `AccessTokenClaims`),
 * `internal/api/errors.go` (error shapes by API version), `internal/api/user.go`,
 * `internal/api/logout.go` and the tables of its migrations (`auth.sessions`,
 * `auth.refresh_tokens`).
 */
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { decodeJwt } from "jose";
import { connectAsPostgres, testStack } from "../support/stack.ts";
import { createMembers, dropMembers } from "./support/members.ts";

function client() {
  return createClient(testStack.apiUrl, testStack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

Deno.test("GoTrue password sign-in, refresh and sign-out with supabase-js", async (t) => {
  const sql = connectAsPostgres();
  const fixture = await createMembers(sql);
  try {
    const supabase = client();
    const { data, error } = await supabase.auth.signInWithPassword({
      email: fixture.memberA.email.toUpperCase(),
      password: fixture.password,
    });
    assert.equal(error, null);
    const session = data.session!;

    await t.step("sign-in issues GoTrue's session and access token claims", async () => {
      assert.equal(session.token_type, "bearer");
      assert.equal(session.expires_in, 3600);
      assert.equal(data.user!.id, fixture.memberA.id);
      assert.equal(data.user!.email, fixture.memberA.email);
      const claims = decodeJwt(session.access_token);
      assert.equal(claims.sub, fixture.memberA.id);
      assert.equal(claims.aud, "authenticated");
      assert.equal(claims.role, "authenticated");
      assert.equal(claims.email, fixture.memberA.email);
      assert.equal(claims.aal, "aal1");
      assert.equal(claims.is_anonymous, false);
      assert.equal(claims.iss, `${testStack.apiUrl}/auth/v1`);
      assert.equal(claims.exp! - claims.iat!, 3600);
      assert.deepEqual((claims.amr as { method: string }[]).map((a) => a.method), ["password"]);
      const [row] = await sql`
        select s.aal::text, count(t.*)::int as tokens
          from auth.sessions s join auth.refresh_tokens t on t.session_id = s.id
         where s.id = ${claims.session_id as string} and s.user_id = ${fixture.memberA.id}
         group by s.aal`;
      assert.deepEqual({ ...row }, { aal: "aal1", tokens: 1 });
      const { data: user, error: userError } = await supabase.auth.getUser(session.access_token);
      assert.equal(userError, null);
      assert.equal(user.user!.id, fixture.memberA.id);
    });

    const refreshed = await t.step(
      "refresh rotates the refresh token in the same session",
      async () => {
        const { data: next, error: refreshError } = await supabase.auth.refreshSession({
          refresh_token: session.refresh_token,
        });
        assert.equal(refreshError, null);
        assert.notEqual(next.session!.refresh_token, session.refresh_token);
        assert.equal(
          decodeJwt(next.session!.access_token).session_id,
          decodeJwt(session.access_token).session_id,
        );
        const [old] = await sql`
        select revoked from auth.refresh_tokens where token = ${session.refresh_token}`;
        assert.equal(old!.revoked, true);
        const [child] = await sql`
        select parent, revoked from auth.refresh_tokens where token = ${
          next.session!.refresh_token
        }`;
        assert.deepEqual({ ...child }, { parent: session.refresh_token, revoked: false });
      },
    );
    assert.ok(refreshed);

    await t.step("sign-out ends the session: its tokens stop working", async () => {
      const { error: outError } = await supabase.auth.signOut();
      assert.equal(outError, null);
      const sessions = await sql`select 1 from auth.sessions where user_id = ${fixture.memberA.id}`;
      assert.equal(sessions.length, 0);
      // auth-js turns GoTrue's `session_not_found` into AuthSessionMissingError.
      const { error: userError } = await client().auth.getUser(session.access_token);
      assert.equal(userError?.name, "AuthSessionMissingError");
      const raw = await fetch(`${testStack.apiUrl}/auth/v1/user`, {
        headers: { apikey: testStack.anonKey, authorization: `Bearer ${session.access_token}` },
      });
      assert.equal(raw.status, 403);
      assert.deepEqual(await raw.json(), {
        code: 403,
        error_code: "session_not_found",
        msg: "Session from session_id claim in JWT does not exist",
      });
      const { error: refreshError } = await client().auth.refreshSession({
        refresh_token: session.refresh_token,
      });
      assert.equal(refreshError?.code, "refresh_token_not_found");
    });
  } finally {
    await dropMembers(sql, fixture);
    await sql.end();
  }
});

Deno.test("GoTrue refuses a wrong password with its error shapes", async (t) => {
  const sql = connectAsPostgres();
  const fixture = await createMembers(sql);
  try {
    await t.step("supabase-js gets invalid_credentials (API version 2024-01-01)", async () => {
      const { data, error } = await client().auth.signInWithPassword({
        email: fixture.memberA.email,
        password: "wrong",
      });
      assert.equal(data.session, null);
      assert.equal(error?.name, "AuthApiError");
      assert.equal(error?.status, 400);
      assert.equal(error?.code, "invalid_credentials");
      assert.equal(error?.message, "Invalid login credentials");
    });
    await t.step("unversioned clients get the legacy shape", async () => {
      const response = await fetch(`${testStack.apiUrl}/auth/v1/token?grant_type=password`, {
        method: "POST",
        headers: { apikey: testStack.anonKey, "content-type": "application/json" },
        body: JSON.stringify({ email: "nobody@realtime.test", password: "x" }),
      });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get("x-sb-error-code"), "invalid_credentials");
      assert.deepEqual(await response.json(), {
        code: 400,
        error_code: "invalid_credentials",
        msg: "Invalid login credentials",
      });
    });
    await t.step(
      "a reused refresh token outside the reuse interval revokes the session",
      async () => {
        const { data } = await client().auth.signInWithPassword({
          email: fixture.memberB.email,
          password: fixture.password,
        });
        const first = data.session!.refresh_token;
        const { error } = await client().auth.refreshSession({ refresh_token: first });
        assert.equal(error, null);
        await sql`update auth.refresh_tokens set updated_at = now() - interval '1 minute'
                 where token = ${first}`;
        const { error: reuse } = await client().auth.refreshSession({ refresh_token: first });
        assert.equal(reuse?.code, "refresh_token_already_used");
        assert.equal(reuse?.message, "Invalid Refresh Token: Already Used");
      },
    );
  } finally {
    await dropMembers(sql, fixture);
    await sql.end();
  }
});

Deno.test("/auth/v1 without an apikey is refused as hosted's gateway refuses it", async (t) => {
  const auth = `${testStack.apiUrl}/auth/v1`;
  for (
    const [label, url, init] of [
      ["a password sign-in", `${auth}/token?grant_type=password`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "nobody@realtime.test", password: "x" }),
      }],
      ["GET /user with a bearer token but no apikey", `${auth}/user`, {
        headers: { authorization: `Bearer ${testStack.anonKey}` },
      }],
      ["an empty apikey", `${auth}/logout`, { method: "POST", headers: { apikey: "" } }],
      ["an unknown path", `${auth}/settings`, {}],
    ] as const
  ) {
    await t.step(`401 for ${label}`, async () => {
      const response = await fetch(url, init);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get("access-control-allow-origin"), "*");
      assert.deepEqual(await response.json(), {
        message: "No API key found in request",
        hint: "No `apikey` request header or url param was found.",
        error: {
          code: "no_api_key",
          message: "No API key found in request",
          details: null,
        },
      });
    });
  }
  await t.step(
    "the apikey as a query parameter is accepted, as Kong's key-auth reads it",
    async () => {
      const response = await fetch(
        `${auth}/token?grant_type=password&apikey=${testStack.anonKey}`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: "nobody@realtime.test", password: "x" }),
        },
      );
      assert.equal(response.status, 400);
      assert.equal((await response.json()).error_code, "invalid_credentials");
    },
  );
  await t.step("the open routes and CORS preflight pass without a key", async () => {
    const jwks = await fetch(`${auth}/.well-known/jwks.json`);
    assert.equal(jwks.status, 200);
    assert.ok(Array.isArray((await jwks.json()).keys));
    // Not emulated here (GoTrue's 404), but past the gateway: not the key check's 401.
    for (const open of ["verify", "callback", "authorize"]) {
      const response = await fetch(`${auth}/${open}`);
      assert.notEqual(response.status, 401, open);
      await response.body?.cancel();
    }
    const preflight = await fetch(`${auth}/token`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    await preflight.body?.cancel();
  });
});
