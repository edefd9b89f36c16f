/**
 * `./nightshift reset`: deletes the dev stack's database so the next
 * `./nightshift dev` starts from scratch — never while that stack runs.
 *
 * @module
 */
import { CommandError } from "./command_failure.ts";
import type { PostgresCluster } from "./postgres/cluster.ts";

/**
 * Deletes the cluster's folder and returns what to tell the user; throws
 * {@linkcode CommandError} while its server runs (a `./nightshift dev` is using it).
 */
export async function resetDevDatabase(
  cluster: Pick<PostgresCluster, "isRunning" | "destroy" | "port" | "rootDir">,
): Promise<string> {
  if (await cluster.isRunning()) {
    throw new CommandError(
      `The local database in ${cluster.rootDir} is running (port ${cluster.port}): stop ` +
        "./nightshift dev first (Ctrl-C), then run ./nightshift reset",
    );
  }
  await cluster.destroy();
  return `Deleted the local database in ${cluster.rootDir}. Run ./nightshift dev to start fresh.`;
}
