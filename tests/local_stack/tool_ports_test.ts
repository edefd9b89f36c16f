/**
 * Local tools and their failures: every tool takes its ports from
 * supabase/config.toml (a second checkout with other ports never writes into
 * the first one's database), `./nightshift reset` refuses to delete the
 * database of a running stack, a port in use is one line that says what to
 * do, and banners name `./nightshift …` (deno is not on the PATH).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { assertPortsFree } from "../../local-stack/port_check.ts";
import { CommandError } from "../../local-stack/command_failure.ts";
import { localStackUrls } from "../../local-stack/local_urls.ts";
import { repoRoot } from "../../local-stack/paths.ts";
import { readProjectConfig } from "../../local-stack/project_config.ts";
import { resetDevDatabase } from "../../local-stack/reset_dev_database.ts";

/** Source files of the local tools (not the functions, not the tests' own fixtures). */
function toolSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  for (const dir of ["local-stack", "tools", "tests/support", "bench/support"]) {
    walk(join(repoRoot, dir));
  }
  return files;
}

Deno.test("no local tool hard-codes the stack's ports: they come from config.toml", () => {
  // Allowed: the defaults config.toml falls back to, and the CLI's well-known JWT issuer.
  const allowed = new Set(["local-stack/project_config.ts", "local-stack/keys.ts"]);
  const offenders = toolSources()
    .map((path) => path.slice(repoRoot.length + 1))
    .filter((path) => !allowed.has(path))
    .filter((path) =>
      Deno.readTextFileSync(join(repoRoot, path)).split("\n").some((line) =>
        /\b5432[1-3]\b/.test(line) && !/^\s*(\*|\/\/|\/\*)/.test(line)
      )
    );
  assert.deepEqual(offenders, []);
});

Deno.test("localStackUrls follows config.toml's ports", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(join(dir, "functions"));
    Deno.writeTextFileSync(
      join(dir, "config.toml"),
      'project_id = "other"\n[api]\nport = 55421\n[db]\nport = 55422\n',
    );
    assert.deepEqual(localStackUrls(readProjectConfig(dir)), {
      apiUrl: "http://127.0.0.1:55421",
      dbUrl: "postgresql://postgres:postgres@127.0.0.1:55422/postgres",
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("banners and usage lines name ./nightshift, not deno task", () => {
  const offenders = toolSources()
    .filter((path) => /\/(commands|generator)\//.test(path))
    .filter((path) => Deno.readTextFileSync(path).includes("deno task"))
    .map((path) => path.slice(repoRoot.length + 1));
  assert.deepEqual(offenders, []);
});

Deno.test("assertPortsFree: a port in use is one line naming the setting and what to do", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    assertPortsFree([{ port, setting: "db.port" }]);
    assert.fail("expected a CommandError");
  } catch (error) {
    assert.ok(error instanceof CommandError, String(error));
    assert.ok(!error.message.includes("\n"), "one line");
    assert.match(
      error.message,
      new RegExp(`Port ${port} \\(db\\.port in supabase/config\\.toml\\)`),
    );
    assert.match(error.message, /in use/);
  } finally {
    listener.close();
  }
  assertPortsFree([{ port, setting: "db.port" }]);
});

Deno.test("resetDevDatabase refuses to delete the database of a running stack", async () => {
  let destroyed = false;
  const running = {
    port: 54999,
    rootDir: "/tmp/nowhere",
    isRunning: () => Promise.resolve(true),
    destroy: () => {
      destroyed = true;
      return Promise.resolve();
    },
  };
  await assert.rejects(resetDevDatabase(running), (error: unknown) => {
    assert.ok(error instanceof CommandError);
    assert.match(error.message, /running/);
    assert.match(error.message, /\.\/nightshift dev/);
    assert.ok(!error.message.includes("\n"));
    return true;
  });
  assert.equal(destroyed, false);
  const stopped = { ...running, isRunning: () => Promise.resolve(false) };
  assert.match(await resetDevDatabase(stopped), /Deleted the local database/);
  assert.equal(destroyed, true);
});

Deno.test("a failing task prints one line without a stack trace and exits 1", async () => {
  const script = `
    import { runTask } from ${JSON.stringify(join(repoRoot, "local-stack/command_failure.ts"))};
    await runTask("demo", () => { throw new Error("connect ECONNREFUSED 127.0.0.1:1\\n  at deep"); });`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr).trim();
  assert.equal(output.code, 1);
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, /^nightshift demo: connect ECONNREFUSED 127\.0\.0\.1:1/);
});
