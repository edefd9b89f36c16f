import postgres from "postgres";
import { EntityKind, generatedId } from "./ids.ts";
import type { GeneratorOptions } from "./options.ts";
import { catalogSize } from "./proportions.ts";
import { generatorSessionSql } from "./session_sql.ts";
import { generatorStatements } from "./statements.ts";

/** Rows a generator run inserted, and how long it took. */
export interface GenerationSummary {
  readonly organizations: number;
  readonly users: number;
  readonly suppliers: number;
  readonly locations: number;
  readonly products: number;
  readonly invoices: number;
  readonly invoiceLines: number;
  /** Wall-clock seconds, including ANALYZE. */
  readonly seconds: number;
}

/** Thrown when a seed's data is already in the database. */
export class SeedAlreadyLoadedError extends Error {
  override name = "SeedAlreadyLoadedError";
}

/** Lines per chunk: big enough for set-based speed, small enough to balance workers. */
const TARGET_LINES_PER_CHUNK = 200_000;

/** Splits organization indexes [0, total) into consecutive chunks of at most `size`. */
function chunks(total: number, size: number): Array<readonly [number, number]> {
  const result: Array<readonly [number, number]> = [];
  for (let first = 0; first < total; first += size) {
    result.push([first, Math.min(total, first + size)]);
  }
  return result;
}

/**
 * Loads deterministic procurement data: organizations with an owner, an admin
 * and a member each, suppliers, locations and products in proportion
 * (`catalogSize`), invoices and their lines. Set-based INSERT ... SELECT over
 * `generate_series`, organizations split into chunks that `workers` sessions
 * load in parallel, one transaction per chunk (a failed run leaves whole
 * chunks behind; use a new seed or a new database to retry).
 * Triggers and constraints stay on: the data is checked like any other write.
 */
export async function generateProcurementData(
  dbUrl: string,
  options: GeneratorOptions,
): Promise<GenerationSummary> {
  const started = performance.now();
  const catalog = catalogSize(options.invoicesPerOrganization);
  const linesPerOrganization = options.invoicesPerOrganization * options.linesPerInvoice;
  const workerCount = Math.min(options.workers, options.organizations);
  const chunkSize = Math.max(
    1,
    Math.min(
      Math.floor(TARGET_LINES_PER_CHUNK / Math.max(linesPerOrganization, 1)),
      Math.ceil(options.organizations / workerCount),
    ),
  );
  const queue = chunks(options.organizations, chunkSize);
  const sessionSql = generatorSessionSql(options, catalog);
  const statements = generatorStatements(options, catalog);

  const control = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const firstId = generatedId(EntityKind.organization, options.seed, 0);
    const [existing] = await control`select 1 from public.organizations where id = ${firstId}`;
    if (existing) {
      throw new SeedAlreadyLoadedError(
        `Cannot generate: seed ${options.seed} is already loaded (organization ${firstId}); ` +
          `pass another --seed or use a fresh database`,
      );
    }

    const work = Array.from({ length: workerCount }, async () => {
      const session = postgres(dbUrl, { max: 1, onnotice: () => {}, idle_timeout: 0 });
      try {
        await session.unsafe(`set time zone 'UTC';${sessionSql}`).simple();
        for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
          const [first, end] = chunk;
          await session.begin(async (tx) => {
            for (const statement of statements) {
              await tx.unsafe(statement.text, [first, end]);
            }
          });
        }
      } finally {
        await session.end({ timeout: 5 });
      }
    });
    await Promise.all(work);

    await control.unsafe(`
      analyze public.organizations, public.organization_members, public.suppliers,
        public.locations, public.products, public.invoices, public.invoice_lines`);
  } finally {
    await control.end({ timeout: 5 });
  }

  const organizations = options.organizations;
  const invoices = organizations * options.invoicesPerOrganization;
  return {
    organizations,
    users: organizations * 3,
    suppliers: organizations * catalog.suppliers,
    locations: organizations * catalog.locations,
    products: organizations * catalog.products,
    invoices,
    invoiceLines: invoices * options.linesPerInvoice,
    seconds: (performance.now() - started) / 1000,
  };
}
