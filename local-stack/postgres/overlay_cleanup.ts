import { join } from "node:path";

/** `pg-<12 hex>`: an overlay installation (see `overlay.ts`); `.tmp-<pid>`: one being built. */
const OVERLAY_NAME = /^pg-[0-9a-f]{12}(?:\.tmp-(\d+))?$/;

/** What {@linkcode removeStaleOverlays} works on. */
export interface OverlayCleanup {
  /** The folder holding the overlays (`clusterRoot()`: `.nightshift/`). */
  readonly root: string;
  /** The overlay this checkout uses now: never removed. */
  readonly current: string;
  /** Milliseconds since the epoch. @default Date.now() */
  readonly now?: number;
  /**
   * An overlay chosen (or built) less than this long ago is kept: a stack of this
   * checkout may have picked it and not started PostgreSQL from it yet (each pick
   * touches the overlay's mtime). @default {600000} (10 minutes)
   */
  readonly graceMs?: number;
  /** Paths of the programs running now. @default runningProgramPaths() */
  readonly runningPrograms?: () => readonly string[];
}

/**
 * Paths of the programs of every process we can see: `/proc/<pid>/exe` where
 * readable (our own processes, or all as root) and `argv[0]` of
 * `/proc/<pid>/cmdline` (readable for every process; the postmaster keeps the
 * full path pg_ctl started it with).
 */
export function runningProgramPaths(): string[] {
  const paths: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      paths.push(Deno.readLinkSync(`/proc/${entry.name}/exe`));
    } catch {
      // another user's process, or gone
    }
    try {
      const argv0 = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0")[0];
      if (argv0) paths.push(argv0);
    } catch {
      // gone
    }
  }
  return paths;
}

function isAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the PostgreSQL overlays of `root` that nothing uses any more: every
 * `pg-<hash>` but the current one, left behind when PostgreSQL, the emulated
 * extensions or the privileged list changed (each change builds a new one, about
 * 9 MB of binaries), and `pg-<hash>.tmp-<pid>` staging folders of builds whose
 * process died. An overlay is kept while any process runs a program from it (a
 * running stack, whatever its data folder) and within `graceMs` of its last use;
 * cluster data (`dev/`, `test-<pid>/`) and anything else in `root` is never
 * touched. A folder that cannot be removed is reported and skipped. Returns the
 * folders removed.
 */
export function removeStaleOverlays(options: OverlayCleanup): string[] {
  const now = options.now ?? Date.now();
  const graceMs = options.graceMs ?? 600_000;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(options.root)];
  } catch {
    return [];
  }
  const candidates = entries.filter((entry) => {
    const match = OVERLAY_NAME.exec(entry.name);
    if (!match || !entry.isDirectory) return false;
    const dir = join(options.root, entry.name);
    if (dir === options.current) return false;
    if (match[1] !== undefined) return !isAlive(Number(match[1])); // a build in progress
    let usedAt: number;
    try {
      usedAt = Deno.statSync(dir).mtime?.getTime() ?? now;
    } catch {
      return false; // removed meanwhile (another run cleaning up)
    }
    return now - usedAt >= graceMs;
  });
  if (candidates.length === 0) return [];
  const running = (options.runningPrograms ?? runningProgramPaths)();
  const removed: string[] = [];
  for (const entry of candidates) {
    const dir = join(options.root, entry.name);
    if (running.some((path) => path.startsWith(`${dir}/`))) continue;
    try {
      Deno.removeSync(dir, { recursive: true });
      removed.push(dir);
    } catch (error) {
      console.warn(`Could not remove the stale PostgreSQL copy ${dir}: ${String(error)}`);
    }
  }
  return removed;
}
