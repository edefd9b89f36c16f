import type { Sql, TransactionSql } from "postgres";

/** Who a query runs as: an API role, with the JWT claims PostgREST would set. */
export type Actor =
  | { readonly role: "anon" }
  | { readonly role: "service_role" }
  | { readonly role: "authenticated"; readonly userId: string; readonly email?: string };

/** The JWT claims PostgREST would put in `request.jwt.claims` for an actor. */
export function claimsOf(actor: Actor): Record<string, unknown> {
  if (actor.role === "authenticated") {
    return {
      sub: actor.userId,
      role: "authenticated",
      aud: "authenticated",
      email: actor.email ?? "",
    };
  }
  return { role: actor.role };
}

/**
 * Runs `work` in a transaction as `actor`, exactly as PostgREST does
 * (`set local role` + `request.jwt.claims`), so RLS and grants apply.
 * The transaction commits unless `work` throws; pass `rollback: true` to
 * always undo it.
 */
export async function asActor<T>(
  sql: Sql,
  actor: Actor,
  work: (tx: TransactionSql) => Promise<T>,
  options: { rollback?: boolean } = {},
): Promise<T> {
  const rollbackMarker = Symbol("rollback");
  let result: T | undefined;
  try {
    await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify(claimsOf(actor))}, true)`;
      await tx.unsafe(`set local role ${actor.role}`);
      result = await work(tx);
      if (options.rollback) throw rollbackMarker;
    });
  } catch (error) {
    if (error !== rollbackMarker) throw error;
  }
  return result as T;
}
