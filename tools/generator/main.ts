/**
 * `./nightshift generate --orgs N --invoices-per-org M [--lines-per-invoice L]
 * [--seed S] [--end-date YYYY-MM-DD] [--history-days D] [--workers W]
 * [--db-url URL] [--rebuild]`: loads deterministic procurement data.
 * The database defaults to $SUPABASE_DB_URL, else the local dev stack (db.port of
 * supabase/config.toml).
 */
import { generateProcurementData } from "./generate.ts";
import { generatedOrganizationIds } from "./ids.ts";
import { parseGeneratorArgs } from "./options.ts";
import { rebuildOrganizations } from "./rebuild_all.ts";
import { localStackUrls } from "../../local-stack/local_urls.ts";

let commandLine;
try {
  commandLine = parseGeneratorArgs(Deno.args);
} catch (error) {
  console.error((error as Error).message);
  console.error(
    "Usage: ./nightshift generate --orgs N --invoices-per-org M [--lines-per-invoice L] [--seed S]\n" +
      "         [--end-date YYYY-MM-DD] [--history-days D] [--workers W] [--db-url URL] [--rebuild]",
  );
  Deno.exit(2);
}
const { options, rebuild } = commandLine;
const dbUrl = commandLine.dbUrl ?? Deno.env.get("SUPABASE_DB_URL") ?? localStackUrls().dbUrl;

console.log(
  `Generating ${options.organizations} organizations x ${options.invoicesPerOrganization} ` +
    `invoices x ${options.linesPerInvoice} lines (seed ${options.seed}, ending ${options.endDate})...`,
);
try {
  const summary = await generateProcurementData(dbUrl, options);
  console.log(
    `Loaded ${summary.organizations} organizations, ${summary.users} users, ` +
      `${summary.suppliers} suppliers, ${summary.locations} locations, ${summary.products} products, ` +
      `${summary.invoices} invoices, ${summary.invoiceLines} lines in ${
        summary.seconds.toFixed(1)
      } s ` +
      `(${Math.round(summary.invoiceLines / summary.seconds)} lines/s).`,
  );

  if (rebuild) {
    const ids = generatedOrganizationIds(options.seed, options.organizations);
    const rebuilt = await rebuildOrganizations(dbUrl, ids, {
      asOf: options.endDate,
      workers: options.workers,
    });
    console.log(
      `Rebuilt nightly analytics of ${rebuilt.organizations} organizations ` +
        `(${rebuilt.rows} rows) in ${rebuilt.seconds.toFixed(1)} s.`,
    );
  }
} catch (error) {
  // Expected failures (seed already loaded, database unreachable, a refused row) as one line.
  console.error(`Generation failed: ${(error as Error).message}`);
  Deno.exit(1);
}
