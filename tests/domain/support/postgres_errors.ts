/** A Postgres error as postgres.js reports it. */
export interface PostgresError {
  readonly code: string;
  readonly message: string;
  readonly constraint_name?: string;
  readonly detail?: string;
}

/** True for errors the server sent (they carry a SQLSTATE `code`). */
export function isPostgresError(error: unknown): error is PostgresError {
  return typeof error === "object" && error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    /^[0-9A-Z]{5}$/.test((error as { code: string }).code);
}

/** Runs `work` and returns the Postgres error it throws; fails when it succeeds or throws otherwise. */
export async function postgresErrorOf(work: () => Promise<unknown>): Promise<PostgresError> {
  try {
    await work();
  } catch (error) {
    if (isPostgresError(error)) return error;
    throw error;
  }
  throw new Error("Expected a Postgres error, but the statement succeeded");
}
