/** `./nightshift reset`: deletes the dev database (refused while the dev stack runs). */
import { join } from "node:path";
import { runTask } from "../command_failure.ts";
import { clusterRoot } from "../postgres/cluster_location.ts";
import { PostgresCluster } from "../postgres/cluster.ts";
import { ensurePostgresInstalled } from "../postgres/install.ts";
import { readProjectConfig } from "../project_config.ts";
import { resetDevDatabase } from "../reset_dev_database.ts";

await runTask("reset", async () => {
  const dir = join(clusterRoot(), "dev");
  const cluster = new PostgresCluster(
    await ensurePostgresInstalled(),
    dir,
    readProjectConfig().dbPort,
  );
  try {
    console.log(await resetDevDatabase(cluster));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.log("Nothing to reset.");
  }
});
