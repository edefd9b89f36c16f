import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { type CallerKeys, createCallerVerifier } from "../../shared/auth/caller.ts";
import { UnauthorizedError } from "../../shared/http/errors.ts";
import {
  LOCAL_ANON_KEY,
  LOCAL_JWKS,
  LOCAL_JWT_SECRET,
  LOCAL_SERVICE_ROLE_KEY,
  mintUserToken,
} from "../../local-stack/keys.ts";
import { LOCAL_PUBLISHABLE_KEY, LOCAL_SECRET_KEY } from "../support/test_function_env.ts";
import { testStack } from "../support/stack.ts";

const isUnauthorized = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof UnauthorizedError, String(error));
  assert.match(error.message, pattern);
  return true;
};

const keys: CallerKeys = {
  supabaseUrl: "http://127.0.0.1:54321",
  jwks: LOCAL_JWKS,
  legacySecret: LOCAL_JWT_SECRET,
  secretKeys: { default: LOCAL_SECRET_KEY, legacy_service_role: LOCAL_SERVICE_ROLE_KEY },
  publishableKeys: { default: LOCAL_PUBLISHABLE_KEY, legacy_anon: LOCAL_ANON_KEY },
};

const request = (headers: Record<string, string>) => new Request("http://x/", { headers });
const bearer = (token: string) => request({ Authorization: `Bearer ${token}` });

/** An HS256 token signed with the local secret carrying exactly `claims`. */
function legacyToken(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(LOCAL_JWT_SECRET));
}

Deno.test("createCallerVerifier accepts every credential hosted functions receive", async (t) => {
  const verify = createCallerVerifier(keys);
  const userId = crypto.randomUUID();
  for (const algorithm of ["HS256", "ES256"] as const) {
    await t.step(`a ${algorithm} user token`, async () => {
      const caller = await verify(bearer(await mintUserToken({ userId, algorithm })));
      assert.deepEqual([caller.role, caller.userId], ["authenticated", userId]);
      assert.equal(caller.claims.aud, "authenticated");
      assert.equal(caller.via, algorithm === "HS256" ? "legacy-token" : "user-token");
    });
  }
  const cases: Array<[string, Request, string, string]> = [
    ["apikey: sb_secret_…", request({ apikey: LOCAL_SECRET_KEY }), "service_role", "secret-key"],
    [
      "apikey: sb_publishable_…",
      request({ apikey: LOCAL_PUBLISHABLE_KEY }),
      "anon",
      "publishable-key",
    ],
    [
      "sb_publishable_… in both headers (supabase-js signed out)",
      request({ apikey: LOCAL_PUBLISHABLE_KEY, Authorization: `Bearer ${LOCAL_PUBLISHABLE_KEY}` }),
      "anon",
      "publishable-key",
    ],
    [
      "Bearer <legacy service-role key>",
      bearer(LOCAL_SERVICE_ROLE_KEY),
      "service_role",
      "legacy-token",
    ],
    ["Bearer <legacy anon key>", bearer(LOCAL_ANON_KEY), "anon", "legacy-token"],
    [
      "apikey: <legacy service-role key> alone",
      request({ apikey: LOCAL_SERVICE_ROLE_KEY }),
      "service_role",
      "secret-key",
    ],
  ];
  for (const [label, given, role, via] of cases) {
    await t.step(label, async () => {
      const caller = await verify(given);
      assert.deepEqual([caller.role, caller.userId, caller.via], [role, undefined, via]);
    });
  }
  await t.step("a user token wins over the publishable key sent with it", async () => {
    const token = await mintUserToken({ userId, algorithm: "ES256" });
    const caller = await verify(
      request({ apikey: LOCAL_PUBLISHABLE_KEY, Authorization: `Bearer ${token}` }),
    );
    assert.equal(caller.userId, userId);
  });
});

Deno.test("createCallerVerifier checks claims as Supabase Auth issues them", async (t) => {
  const verify = createCallerVerifier(keys);
  const now = Math.floor(Date.now() / 1000);
  const user = { role: "authenticated", aud: "authenticated", sub: crypto.randomUUID() };
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["no exp", user, /exp/],
    ["aud other than authenticated", { ...user, aud: "anon", exp: now + 60 }, /aud/],
    ["no aud", { role: "authenticated", sub: user.sub, exp: now + 60 }, /aud/],
    ["sub not a UUID", { ...user, sub: "user-1", exp: now + 60 }, /sub/],
    ["no sub", { role: "authenticated", aud: "authenticated", exp: now + 60 }, /sub/],
    ["an unknown role", { ...user, role: "supabase_admin", exp: now + 60 }, /role/],
    ["expired (no clock tolerance)", { ...user, exp: now - 1 }, /exp/],
  ];
  for (const [label, claims, pattern] of cases) {
    await t.step(`refuses a signed token with ${label}`, async () => {
      await assert.rejects(verify(bearer(await legacyToken(claims))), isUnauthorized(pattern));
    });
  }
  await t.step("accepts the same token with every claim right", async () => {
    const caller = await verify(bearer(await legacyToken({ ...user, exp: now + 60 })));
    assert.equal(caller.userId, user.sub);
  });
  await t.step("refuses an ES256 token whose aud is not authenticated", async () => {
    const { importJWK } = await import("jose");
    const { LOCAL_SIGNING_KEY } = await import("../../local-stack/keys.ts");
    const token = await new SignJWT({ ...user, aud: "somebody-else" })
      .setProtectedHeader({ alg: "ES256", kid: LOCAL_SIGNING_KEY.kid })
      .setExpirationTime(now + 60)
      .sign(await importJWK(LOCAL_SIGNING_KEY, "ES256"));
    await assert.rejects(verify(bearer(token)), isUnauthorized(/aud/));
  });
});

Deno.test("createCallerVerifier refuses bad credentials with 401", async (t) => {
  const verify = createCallerVerifier(keys);
  const userId = crypto.randomUUID();
  await t.step("none", () => assert.rejects(verify(request({})), isUnauthorized(/Missing/)));
  await t.step("not a JWT", () => assert.rejects(verify(bearer("garbage")), isUnauthorized(/JWT/)));
  await t.step("an unknown sb_secret_ key", () =>
    assert.rejects(
      verify(request({ apikey: "sb_secret_0000000000000000000000_00000000" })),
      isUnauthorized(/Invalid credentials/),
    ));
  await t.step("a token signed with another secret", async () => {
    const token = await mintUserToken({ userId }, "another-secret-another-secret-another-secret");
    await assert.rejects(verify(bearer(token)), isUnauthorized(/signature/));
  });
  await t.step("HS256 without kid when no legacy secret is configured", async () => {
    const jwksOnly = createCallerVerifier({ ...keys, legacySecret: undefined });
    await assert.rejects(
      jwksOnly(bearer(await mintUserToken({ userId }))),
      isUnauthorized(/legacy JWT secret/),
    );
  });
  await t.step("a tampered payload", async () => {
    const [header, , signature] = (await mintUserToken({ userId, algorithm: "ES256" })).split(".");
    const forged = btoa(JSON.stringify({ sub: crypto.randomUUID(), role: "service_role" }))
      .replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");
    await assert.rejects(
      verify(bearer(`${header}.${forged}.${signature}`)),
      isUnauthorized(/signature|Invalid/),
    );
  });
});

Deno.test("createCallerVerifier fetches a remote JWKS", async () => {
  const verify = createCallerVerifier({
    ...keys,
    jwks: new URL(`${testStack.apiUrl}/auth/v1/.well-known/jwks.json`),
  });
  const userId = crypto.randomUUID();
  const caller = await verify(bearer(await mintUserToken({ userId, algorithm: "ES256" })));
  assert.equal(caller.userId, userId);
});

Deno.test("createCallerVerifier remembers a verified token until it expires", async () => {
  let now = Date.now();
  const verify = createCallerVerifier({ ...keys, now: () => now, rememberTokens: 2 });
  const userId = crypto.randomUUID();
  const token = await mintUserToken({ userId, expiresInSeconds: 60 });
  assert.equal((await verify(bearer(token))).userId, userId);
  // Past its exp the remembered verdict is dropped and jose refuses the token.
  now += 61_000;
  await assert.rejects(verify(bearer(token)), isUnauthorized(/exp/));
  // A failed verification is never remembered.
  now = Date.now();
  await assert.rejects(verify(bearer("garbage")), isUnauthorized(/JWT/));
  await assert.rejects(verify(bearer("garbage")), isUnauthorized(/JWT/));
});
