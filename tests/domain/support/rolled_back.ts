import type { Sql, TransactionSql } from "postgres";

const ROLLBACK = Symbol("rollback");

/** Runs `work` as the connecting (super)user in a transaction that is always rolled back. */
export async function rolledBack<T>(
  sql: Sql,
  work: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  try {
    await sql.begin(async (tx) => {
      result = await work(tx);
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return result as T;
}
