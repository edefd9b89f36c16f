import type { Sql, TransactionSql } from "postgres";
import { ForbiddenError, InvalidRequestError } from "../http/errors.ts";
import type { AdminIdentity } from "./admin_caller.ts";

/**
 * Runs `work` in a transaction as the admin caller, as PostgREST would: local
 * `role` (`service_role` or `authenticated`) and `request.jwt.claims` from the
 * verified token, so the SQL decides the scope and Row Level Security is the
 * guard for users. The SQL's refusals become HTTP errors here: 42501
 * (insufficient_privilege, e.g. a member or an admin of another organization)
 * → 403 `forbidden`, 22023 (invalid_parameter_value) → 400 `invalid_request`,
 * each with the database's message.
 */
export async function readAsAdminCaller<T>(
  sql: Sql,
  identity: AdminIdentity,
  work: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  try {
    return await sql.begin(async (tx) => {
      await tx`
        select set_config('role', ${identity.role}, true),
               set_config('request.jwt.claims', ${JSON.stringify(identity.claims)}, true)`;
      return await work(tx);
    }) as T;
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    if (code === "42501") throw new ForbiddenError((error as Error).message);
    if (code === "22023") throw new InvalidRequestError((error as Error).message);
    throw error;
  }
}
