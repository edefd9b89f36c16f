import assert from "node:assert/strict";
import { bearerToken, createAccessTokenVerifier } from "../../shared/auth/access_token.ts";
import { UnauthorizedError } from "../../shared/http/errors.ts";
import {
  LOCAL_ANON_KEY,
  LOCAL_JWKS,
  LOCAL_JWT_SECRET,
  mintUserToken,
} from "../../local-stack/keys.ts";
import { testStack } from "../support/stack.ts";

const isUnauthorized = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof UnauthorizedError);
  assert.match(error.message, pattern);
  return true;
};

Deno.test("access token verifier accepts HS256 and ES256 user tokens", async () => {
  const verify = createAccessTokenVerifier({ jwks: LOCAL_JWKS, legacySecret: LOCAL_JWT_SECRET });
  const userId = crypto.randomUUID();
  for (const algorithm of ["HS256", "ES256"] as const) {
    const claims = await verify(await mintUserToken({ userId, algorithm }));
    assert.equal(claims.userId, userId);
    assert.equal(claims.role, "authenticated");
    assert.equal(claims.claims.aud, "authenticated");
  }
  const anon = await verify(LOCAL_ANON_KEY);
  assert.deepEqual([anon.userId, anon.role], [undefined, "anon"]);
});

Deno.test("access token verifier fetches a remote JWKS", async () => {
  const verify = createAccessTokenVerifier({
    jwks: new URL(`${testStack.apiUrl}/auth/v1/.well-known/jwks.json`),
  });
  const userId = crypto.randomUUID();
  assert.equal((await verify(await mintUserToken({ userId, algorithm: "ES256" }))).userId, userId);
});

Deno.test("access token verifier refuses bad tokens with UnauthorizedError", async (t) => {
  const verify = createAccessTokenVerifier({ jwks: LOCAL_JWKS, legacySecret: LOCAL_JWT_SECRET });
  const userId = crypto.randomUUID();
  await t.step("not a JWT", () => assert.rejects(verify("garbage"), isUnauthorized(/not a JWT/)));
  await t.step("wrong secret", async () => {
    const token = await mintUserToken({ userId }, "another-secret-another-secret-another-secret");
    await assert.rejects(verify(token), isUnauthorized(/signature/));
  });
  await t.step("expired", async () => {
    const token = await mintUserToken({ userId, expiresInSeconds: -10 });
    await assert.rejects(verify(token), isUnauthorized(/exp/));
  });
  await t.step("HS256 when no legacy secret is configured", async () => {
    const jwksOnly = createAccessTokenVerifier({ jwks: LOCAL_JWKS });
    await assert.rejects(
      jwksOnly(await mintUserToken({ userId })),
      isUnauthorized(/HS256 tokens are not accepted/),
    );
  });
  await t.step("tampered payload", async () => {
    const [header, , signature] = (await mintUserToken({ userId, algorithm: "ES256" })).split(".");
    const forged = btoa(JSON.stringify({ sub: crypto.randomUUID(), role: "service_role" }))
      .replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");
    await assert.rejects(verify(`${header}.${forged}.${signature}`), isUnauthorized(/signature/));
  });
});

Deno.test("bearerToken reads the Authorization header or refuses", () => {
  const request = (value?: string) =>
    new Request("http://x", value ? { headers: { Authorization: value } } : {});
  assert.equal(bearerToken(request("Bearer abc.def.ghi")), "abc.def.ghi");
  assert.throws(() => bearerToken(request()), isUnauthorized(/Missing bearer token/));
  assert.throws(() => bearerToken(request("Basic x")), isUnauthorized(/Missing bearer token/));
});

Deno.test("access token verifier remembers a verified token until it expires", async () => {
  let now = Date.now();
  const verify = createAccessTokenVerifier({
    legacySecret: LOCAL_JWT_SECRET,
    now: () => now,
    rememberTokens: 2,
  });
  const userId = crypto.randomUUID();
  const token = await mintUserToken({ userId, expiresInSeconds: 60 });
  assert.equal((await verify(token)).userId, userId);
  // Past its exp the remembered verdict is dropped and jose refuses the token.
  now += 61_000;
  await assert.rejects(verify(token), isUnauthorized(/exp/));
  // A failed verification is never remembered.
  now = Date.now();
  await assert.rejects(verify("garbage"), isUnauthorized(/not a JWT/));
  await assert.rejects(verify("garbage"), isUnauthorized(/not a JWT/));
});
