/** The well-known local keys are what `supabase start` uses: HS256 with the local secret. */
import assert from "node:assert/strict";
import { jwtVerify } from "jose";
import { fileURLToPath } from "node:url";
import { jwtCommandToken } from "../../local-stack/commands/jwt.ts";
import {
  DEFAULT_LOCAL_AUTH_ISSUER,
  LOCAL_ANON_KEY,
  LOCAL_JWT_SECRET,
  LOCAL_SERVICE_ROLE_KEY,
  localAuthIssuer,
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

Deno.test("./nightshift jwt issues tokens for the Auth URL of config.toml's [api] port", async () => {
  const userId = "d0000000-0000-4000-8000-000000000003";
  const result = await jwtCommandToken([userId], { apiPort: 55421, dbPort: 55422 });
  assert.ok("token" in result);
  const { payload } = await jwtVerify(result.token, secret, { algorithms: ["HS256"] });
  assert.equal(payload.iss, "http://127.0.0.1:55421/auth/v1");
  assert.equal(payload.sub, userId);
  assert.equal(localAuthIssuer("http://127.0.0.1:54321/"), DEFAULT_LOCAL_AUTH_ISSUER);
});

Deno.test("./nightshift jwt refuses a user id that is not a UUID", async () => {
  const result = await jwtCommandToken(["mia"], { apiPort: 55421, dbPort: 55422 });
  assert.deepEqual(result, { error: "user-id must be a UUID (an auth.users id)" });
});

Deno.test("./nightshift jwt without arguments prints only the usage line, exit 2", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      fileURLToPath(new URL("../../local-stack/commands/jwt.ts", import.meta.url)),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 2);
  assert.equal(new TextDecoder().decode(output.stdout), "");
  assert.equal(
    new TextDecoder().decode(output.stderr),
    "Usage: ./nightshift jwt <user-id> [email] [role] [--es256]\n",
  );
});
