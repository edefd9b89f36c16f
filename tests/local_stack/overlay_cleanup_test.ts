/**
 * Stale PostgreSQL overlays (`.nightshift/pg-<hash>`, see local-stack/postgres/overlay.ts)
 * are removed; the current one, those a running process uses, those picked
 * recently, builds in progress and cluster data are kept.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensurePostgresInstalled } from "../../local-stack/postgres/install.ts";
import { removeStaleOverlays } from "../../local-stack/postgres/overlay_cleanup.ts";
import { clusterRoot } from "../../local-stack/postgres/cluster_location.ts";

const HOUR = 3_600_000;

/** A folder under `root` with a file in it, last modified `ageMs` ago. */
function plant(root: string, name: string, ageMs: number, file = "bin/postgres"): string {
  const dir = join(root, name);
  Deno.mkdirSync(join(dir, file, ".."), { recursive: true });
  Deno.writeTextFileSync(join(dir, file), "");
  const at = new Date(Date.now() - ageMs);
  Deno.utimeSync(dir, at, at);
  return dir;
}

Deno.test("removeStaleOverlays removes unused old overlays and dead builds, nothing else", async () => {
  const root = Deno.makeTempDirSync();
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    const current = plant(root, "pg-aaaaaaaaaaaa", 5 * HOUR);
    const stale = plant(root, "pg-bbbbbbbbbbbb", 5 * HOUR);
    const inUse = plant(root, "pg-cccccccccccc", 5 * HOUR);
    const recent = plant(root, "pg-dddddddddddd", 60_000);
    const deadBuild = plant(root, "pg-eeeeeeeeeeee.tmp-999999999", 5 * HOUR);
    const liveBuild = plant(root, `pg-ffffffffffff.tmp-${sleeper.pid}`, 5 * HOUR);
    const kept = [
      plant(root, "dev", 5 * HOUR, "pgdata/PG_VERSION"),
      plant(root, "test-999999999", 5 * HOUR, "pgdata/PG_VERSION"),
      plant(root, "reports", 5 * HOUR, "junit.xml"),
      plant(root, "pg-not-an-overlay", 5 * HOUR),
    ];
    const runningPrograms = () => [
      "/usr/bin/sleep",
      join(inUse, "lib/postgresql/15/bin/postgres"),
      `${stale}-lookalike/bin/postgres`,
    ];
    const removed = removeStaleOverlays({ root, current, runningPrograms });
    assert.deepEqual(removed.sort(), [stale, deadBuild].sort());
    const left = [...Deno.readDirSync(root)].map((entry) => join(root, entry.name)).sort();
    assert.deepEqual(left, [current, inUse, recent, liveBuild, ...kept].sort());
    assert.deepEqual(
      removeStaleOverlays({ root, current, runningPrograms }),
      [],
      "a second pass removes nothing",
    );
  } finally {
    sleeper.kill();
    await sleeper.status;
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("removeStaleOverlays keeps an overlay whose program a process runs (real /proc)", async () => {
  const root = Deno.makeTempDirSync();
  const overlay = plant(root, "pg-123456789abc", 5 * HOUR);
  const program = join(overlay, "lib/postgresql/15/bin/postgres");
  Deno.mkdirSync(join(program, ".."), { recursive: true });
  Deno.copyFileSync("/usr/bin/sleep", program);
  Deno.chmodSync(program, 0o755);
  const old = new Date(Date.now() - 5 * HOUR);
  Deno.utimeSync(overlay, old, old);
  const running = new Deno.Command(program, { args: ["30"] }).spawn();
  try {
    assert.deepEqual(removeStaleOverlays({ root, current: join(root, "pg-000000000000") }), []);
  } finally {
    running.kill();
    await running.status;
  }
  try {
    assert.deepEqual(removeStaleOverlays({ root, current: join(root, "pg-000000000000") }), [
      overlay,
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("./nightshift's PostgreSQL setup removes a stale overlay and keeps the one in use", async () => {
  const root = clusterRoot();
  const stale = plant(root, "pg-0000000000ff", 5 * HOUR);
  try {
    const installation = await ensurePostgresInstalled();
    assert.equal(Deno.statSync(join(installation.binDir, "postgres")).isFile, true);
    assert.throws(() => Deno.statSync(stale), Deno.errors.NotFound);
  } finally {
    try {
      Deno.removeSync(stale, { recursive: true });
    } catch {
      // removed, as it should be
    }
  }
});
