/** `deno task reset`: stops the dev database if it runs and deletes it; the next `dev` starts fresh. */
import { join } from "node:path";
import { clusterRoot } from "../postgres/cluster_location.ts";
import { PostgresCluster } from "../postgres/cluster.ts";
import { ensurePostgresInstalled } from "../postgres/install.ts";
import { readProjectConfig } from "../project_config.ts";

const dir = join(clusterRoot(), "dev");
const cluster = new PostgresCluster(
  await ensurePostgresInstalled(),
  dir,
  readProjectConfig().dbPort,
);
try {
  await cluster.destroy();
  console.log(`Deleted the local database in ${dir}. Run \`deno task dev\` to start fresh.`);
} catch (error) {
  if (error instanceof Deno.errors.NotFound) console.log("Nothing to reset.");
  else throw error;
}
