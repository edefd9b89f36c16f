/** The well-known local keys are what `supabase start` uses: HS256 with the local secret. */
import assert from "node:assert/strict";
import { jwtVerify } from "jose";
import {
  LOCAL_ANON_KEY,
  LOCAL_JWT_SECRET,
  LOCAL_SERVICE_ROLE_KEY,
  mintUserToken,
} from "../../local-stack/keys.ts";

const secret = new TextEncoder().encode(LOCAL_JWT_SECRET);

Deno.test("the local anon and service-role keys verify with the local secret", async () => {
  const anon = await jwtVerify(LOCAL_ANON_KEY, secret, { algorithms: ["HS256"] });
  assert.equal(anon.payload.role, "anon");
  assert.equal(anon.payload.iss, "supabase-demo");
  const service = await jwtVerify(LOCAL_SERVICE_ROLE_KEY, secret, { algorithms: ["HS256"] });
  assert.equal(service.payload.role, "service_role");
});

Deno.test("mintUserToken issues a GoTrue-shaped authenticated token", async () => {
  const userId = crypto.randomUUID();
  const token = await mintUserToken({ userId, email: "a@example.com", expiresInSeconds: 120 });
  const { payload } = await jwtVerify(token, secret, { algorithms: ["HS256"] });
  assert.equal(payload.sub, userId);
  assert.equal(payload.role, "authenticated");
  assert.equal(payload.aud, "authenticated");
  assert.equal(payload.email, "a@example.com");
  assert.equal(payload.exp! - payload.iat!, 120);
});
