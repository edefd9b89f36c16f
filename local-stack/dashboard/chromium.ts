/**
 * Debian's Chromium for the dashboard's browser tests (driven by playwright-core):
 * installed with apt-get when missing (as root, or with passwordless sudo).
 * Without it the browser tests are skipped with a message, not failed silently:
 * `NIGHTSHIFT_TEST_CHROMIUM` is empty and the tests say why.
 *
 * @module
 */
import { isRoot, runCommand } from "../run_command.ts";

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The path of Chromium, installing it first when missing; null when it cannot be installed. */
export async function ensureChromiumInstalled(): Promise<string | null> {
  if (exists(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const prefix = isRoot() ? [] : ["sudo", "-n"];
  const [program, ...rest] = [...prefix, "apt-get"];
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  try {
    console.log("Installing chromium from Debian (apt-get) for the dashboard's browser tests...");
    await runCommand(program!, [...rest, "update", "-qq"], { env });
    await runCommand(program!, [
      ...rest,
      "install",
      "-y",
      "-qq",
      "--no-install-recommends",
      "chromium",
    ], {
      env,
    });
  } catch (error) {
    console.warn(
      `Could not install chromium (${(error as Error).message.split("\n")[0]}): ` +
        "install it with `apt-get install chromium` to run the dashboard's browser tests.",
    );
    return null;
  }
  return exists(CHROMIUM_PATH) ? CHROMIUM_PATH : null;
}
