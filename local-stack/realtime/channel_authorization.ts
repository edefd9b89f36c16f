import type { Sql } from "postgres";

/** Who asks to read which topic. */
export interface AuthorizationContext {
  /** Sub topic (without `realtime:`). */
  readonly topic: string;
  /** Verified JWT claims; `role` and `sub` come from them. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Headers of the websocket upgrade (`request.headers`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Read permissions per extension; absent = not checked. */
export interface ReadPolicies {
  readonly broadcast?: boolean;
  readonly presence?: boolean;
}

/** Outcome of a read check. */
export type ReadCheck =
  | { readonly ok: true; readonly policies: ReadPolicies }
  | { readonly ok: false; readonly reason: "missing_partition" | "rls_policy_error" };

/**
 * Decides what a subscriber may read on a private topic exactly as Realtime
 * does (supabase/realtime `lib/realtime/tenants/authorization.ex`,
 * `get_read_policies_for_connection`): in one transaction, insert one probe row
 * per extension into realtime.messages (as the service connection), then
 * `set_config` role, `realtime.topic`, `request.jwt.claims`, `.claim.sub`,
 * `.claim.role` and `request.headers` locally, select the probes back under RLS
 * as that role, and roll everything back. A probe the role can read grants read.
 * A check violation on the insert means no partition for today (`:missing_partition`).
 */
export async function readPolicies(
  sql: Sql,
  context: AuthorizationContext,
  extensions: readonly ("broadcast" | "presence")[],
): Promise<ReadCheck> {
  const probes = extensions.map((extension) => ({ extension, id: crypto.randomUUID() }));
  const role = String(context.claims.role ?? "");
  const sub = context.claims.sub === undefined ? "" : String(context.claims.sub);
  const connection = await sql.reserve();
  try {
    await connection`begin`;
    for (const probe of probes) {
      await connection`
        insert into realtime.messages (id, topic, extension)
        values (${probe.id}, ${context.topic}, ${probe.extension})`;
    }
    await connection`
      select set_config('role', ${role}, true),
             set_config('realtime.topic', ${context.topic}, true),
             set_config('request.jwt.claims', ${JSON.stringify(context.claims)}, true),
             set_config('request.jwt.claim.sub', ${sub}, true),
             set_config('request.jwt.claim.role', ${role}, true),
             set_config('request.headers', ${JSON.stringify(context.headers)}, true)`;
    const ids = probes.map((probe) => probe.id);
    const visible = await connection<{ id: string }[]>`
      select id from realtime.messages where id = any(${ids}::uuid[])`;
    const seen = new Set(visible.map((row) => row.id));
    const policies: Record<string, boolean> = {};
    for (const probe of probes) policies[probe.extension] = seen.has(probe.id);
    return { ok: true, policies };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "23514") return { ok: false, reason: "missing_partition" };
    console.error("[realtime] RlsPolicyError:", error);
    return { ok: false, reason: "rls_policy_error" };
  } finally {
    await connection`rollback`.catch(() => {});
    connection.release();
  }
}
