import postgres, { type Sql } from "postgres";

/** Options of the module-scope database client of a function. */
export interface DatabaseClientOptions {
  /** Maximum connections of this isolate. @default 3 */
  readonly maxConnections?: number;
}

/**
 * Creates the direct Postgres client a function keeps at module scope.
 * Prepared statements are disabled for transaction-mode poolers (Supavisor on
 * port 6543), which cannot keep them across transactions.
 */
export function createDatabaseClient(url: string, options: DatabaseClientOptions = {}): Sql {
  const usesTransactionPooler = new URL(url).port === "6543";
  return postgres(url, {
    max: options.maxConnections ?? 3,
    prepare: !usesTransactionPooler,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: "nightshift-function" },
  });
}
