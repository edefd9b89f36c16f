/**
 * Builds the admin dashboard (`dashboard/`, a Vite app) when needed: installs its
 * npm dependencies when `node_modules` is missing or older than
 * `package-lock.json`, and runs `npm run build` when `dist/` is missing or older
 * than any source file. Needs Node.js/npm (which `./nightshift` already does).
 *
 * @module
 */
import { join } from "node:path";
import { repoRoot } from "../paths.ts";
import { runCommand } from "../run_command.ts";

/** The dashboard's folder. */
export const dashboardDir: string = join(repoRoot, "dashboard");
/** Where the built static files go. */
export const dashboardDist: string = join(dashboardDir, "dist");

function modifiedAt(path: string): number {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return 0;
  }
}

/** Newest modification time of the files that make the build. */
function newestSource(): number {
  let newest = 0;
  const visit = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) visit(path);
      else newest = Math.max(newest, modifiedAt(path));
    }
  };
  visit(join(dashboardDir, "src"));
  visit(join(dashboardDir, "public"));
  // The dashboard imports the dataset tiers from shared/.
  newest = Math.max(newest, modifiedAt(join(repoRoot, "shared", "cache", "tiers.ts")));
  for (const file of ["index.html", "vite.config.ts", "package.json", "tsconfig.json"]) {
    newest = Math.max(newest, modifiedAt(join(dashboardDir, file)));
  }
  return newest;
}

/** Installs and builds what is out of date; returns what it did. */
export async function ensureDashboardBuilt(): Promise<{ installed: boolean; built: boolean }> {
  const modules = join(dashboardDir, "node_modules");
  const lock = join(dashboardDir, "package-lock.json");
  const marker = join(modules, ".package-lock.json");
  let installed = false;
  if (modifiedAt(marker) === 0 || modifiedAt(marker) < modifiedAt(lock)) {
    console.log("Installing the dashboard's npm dependencies (dashboard/package-lock.json)...");
    await runCommand("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dashboardDir,
    });
    installed = true;
  }
  let built = false;
  if (installed || modifiedAt(join(dashboardDist, "index.html")) < newestSource()) {
    console.log("Building the dashboard (vite build)...");
    await runCommand("npm", ["run", "build", "--silent"], { cwd: dashboardDir });
    built = true;
  }
  return { installed, built };
}
