/** The nightly settings read from the environment, and the cron secret check. */
import assert from "node:assert/strict";
import { FunctionSettingsError } from "../../shared/function_settings.ts";
import { UnauthorizedError } from "../../shared/http/errors.ts";
import { verifyCronSecret } from "../../shared/nightly/cron_secret.ts";
import { readNightlySettings } from "../../shared/nightly/settings.ts";
import { readEnvFile } from "../../local-stack/env_file.ts";

const SECRET = "a-cron-secret-of-at-least-thirty-two-chars";

function settingsFrom(env: Record<string, string>) {
  return readNightlySettings((name) => ({ NIGHTLY_CRON_SECRET: SECRET, ...env })[name]);
}

Deno.test("readNightlySettings: the seed plan's defaults", () => {
  assert.deepEqual(settingsFrom({}), {
    NIGHTLY_CRON_SECRET: SECRET,
    NIGHTLY_WEBHOOK_URL: undefined,
    NIGHTLY_LOCAL_TIME: "02:00",
    NIGHTLY_MIN_AGE: 12 * 3_600_000,
    NIGHTLY_SKIP_IF_HIGH_LOAD: 0.8,
    NIGHTLY_BATCH_SIZE: 1000,
    NIGHTLY_CONCURRENCY: 2,
    NIGHTLY_MAX_RETRIES: 3,
    NIGHTLY_RETRY_BASE_DELAY: 60_000,
    NIGHTLY_TIMEOUT: 30 * 60_000,
    NIGHTLY_TIME_BUDGET: 50_000,
    NIGHTLY_WALL_CLOCK_LIMIT: 150_000,
    NIGHTLY_WALL_CLOCK_MARGIN: 10_000,
    NIGHTLY_VISIBILITY_TIMEOUT: 5 * 60_000,
    NIGHTLY_CHANGE_THRESHOLD_PERCENT: 5,
    NIGHTLY_WEBHOOK_TIMEOUT: 5_000,
    NIGHTLY_WEBHOOK_RETRY_BASE_DELAY: 30_000,
    NIGHTLY_WEBHOOK_RETRY_MAX_DELAY: 3_600_000,
    NIGHTLY_CHAIN_INVOCATIONS: true,
  });
});

Deno.test("readNightlySettings: one naming style, the environment's names, each in .env.example", () => {
  const example = readEnvFile(new URL("../../.env.example", import.meta.url).pathname);
  const names = Object.keys(settingsFrom({}));
  assert.equal(names.length, 19);
  for (const name of names) {
    assert.match(name, /^NIGHTLY_[A-Z_]+$/);
    assert.ok(Object.hasOwn(example, name), `${name} is documented in .env.example`);
  }
});

Deno.test("readNightlySettings: .env.example holds the defaults, empty values count as unset", () => {
  const example = readEnvFile(new URL("../../.env.example", import.meta.url).pathname);
  const fromExample = readNightlySettings((name) => example[name]);
  assert.deepEqual({ ...fromExample, NIGHTLY_CRON_SECRET: SECRET }, settingsFrom({}));
});

Deno.test("readNightlySettings: overrides and every refused value named", () => {
  const custom = settingsFrom({
    NIGHTLY_MIN_AGE: "6h",
    NIGHTLY_SKIP_IF_HIGH_LOAD: "0.5",
    NIGHTLY_BATCH_SIZE: "250",
    NIGHTLY_TIME_BUDGET: "2m",
    NIGHTLY_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X",
    NIGHTLY_CHAIN_INVOCATIONS: "false",
  });
  assert.equal(custom.NIGHTLY_MIN_AGE, 6 * 3_600_000);
  assert.equal(custom.NIGHTLY_SKIP_IF_HIGH_LOAD, 0.5);
  assert.equal(custom.NIGHTLY_BATCH_SIZE, 250);
  assert.equal(custom.NIGHTLY_TIME_BUDGET, 120_000);
  assert.equal(custom.NIGHTLY_WEBHOOK_URL, "https://hooks.slack.com/services/T/B/X");
  assert.equal(custom.NIGHTLY_CHAIN_INVOCATIONS, false);

  const bad: Array<[Record<string, string | undefined>, RegExp]> = [
    [{ NIGHTLY_CRON_SECRET: undefined }, /NIGHTLY_CRON_SECRET: is required/],
    [{ NIGHTLY_CRON_SECRET: "short" }, /NIGHTLY_CRON_SECRET: must be at least 32 characters/],
    [{ NIGHTLY_SKIP_IF_HIGH_LOAD: "1.5" }, /NIGHTLY_SKIP_IF_HIGH_LOAD: must be at most 1/],
    [{ NIGHTLY_BATCH_SIZE: "2.5" }, /NIGHTLY_BATCH_SIZE: must be a whole number/],
    [{ NIGHTLY_MAX_RETRIES: "many" }, /NIGHTLY_MAX_RETRIES: must be a number/],
    [{ NIGHTLY_MIN_AGE: "12" }, /NIGHTLY_MIN_AGE: Invalid duration/],
    [
      { NIGHTLY_TIME_BUDGET: "500ms" },
      /NIGHTLY_TIME_BUDGET: Invalid duration: must be at least 1s/,
    ],
    [{ NIGHTLY_LOCAL_TIME: "2am" }, /NIGHTLY_LOCAL_TIME: must be a time of day HH:MM/],
    [{ NIGHTLY_WEBHOOK_URL: "slack" }, /NIGHTLY_WEBHOOK_URL: must be an http\(s\) URL/],
    [{ NIGHTLY_CHAIN_INVOCATIONS: "yes" }, /NIGHTLY_CHAIN_INVOCATIONS: must be "true" or "false"/],
  ];
  for (const [env, message] of bad) {
    assert.throws(
      () => readNightlySettings((name) => ({ NIGHTLY_CRON_SECRET: SECRET, ...env })[name]),
      (error: Error) => error instanceof FunctionSettingsError && message.test(error.message),
      JSON.stringify(env),
    );
  }
});

Deno.test("verifyCronSecret accepts only Authorization: Bearer <secret>", async () => {
  const request = (headers: Record<string, string>) =>
    new Request("http://localhost/nightly-refresh", { method: "POST", headers });
  await verifyCronSecret(request({ Authorization: `Bearer ${SECRET}` }), SECRET);
  await verifyCronSecret(request({ Authorization: `bearer ${SECRET}` }), SECRET);
  for (
    const headers of [
      {},
      { Authorization: `Bearer ${SECRET}x` },
      { Authorization: `Bearer ${SECRET.slice(1)}` },
      { Authorization: SECRET },
      { Authorization: "Bearer " },
      { "X-Cron-Secret": SECRET },
    ]
  ) {
    await assert.rejects(
      verifyCronSecret(request(headers), SECRET),
      UnauthorizedError,
      JSON.stringify(headers),
    );
  }
});
