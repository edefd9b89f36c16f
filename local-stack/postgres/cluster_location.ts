import { createHash } from "node:crypto";
import { join } from "node:path";
import { repoRoot, runtimeRoot } from "../paths.ts";
import { isRoot } from "../run_command.ts";

function serverUserCanReach(path: string): boolean {
  const probe = new Deno.Command("runuser", {
    args: ["-u", "postgres", "--", "test", "-x", path],
    stdout: "null",
    stderr: "null",
  }).outputSync();
  return probe.success;
}

/**
 * Folder under which local clusters live. Normally `.nightshift/` in the
 * repository; when we run as root and the `postgres` OS user cannot reach the
 * repository (a checkout under /root, say), a per-checkout folder in /tmp.
 */
export function clusterRoot(): string {
  if (!isRoot() || serverUserCanReach(repoRoot)) return runtimeRoot;
  const digest = createHash("sha256").update(repoRoot).digest("hex").slice(0, 12);
  const fallback = join("/tmp", `nightshift-${digest}`);
  Deno.mkdirSync(fallback, { recursive: true, mode: 0o755 });
  Deno.chmodSync(fallback, 0o755);
  return fallback;
}
