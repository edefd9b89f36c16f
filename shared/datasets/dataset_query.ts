import type { Sql } from "postgres";
import type { DatasetParams } from "./dataset_request.ts";
import { ForbiddenError, InvalidRequestError } from "../http/errors.ts";

/** The JSON document `analytics.dataset_json` returns. */
export interface DatasetDocument {
  readonly dataset: string;
  readonly organization_id: string;
  readonly rows: readonly unknown[];
  /** Nightly datasets: the date the snapshot was computed for. */
  readonly as_of_date?: string | null;
  /** Nightly datasets: when the snapshot was rebuilt. */
  readonly rebuilt_at?: string | null;
}

/** Who runs the query: the caller's role and JWT claims, as PostgREST would set them. */
export interface QueryCaller {
  readonly role: "authenticated" | "service_role";
  readonly claims: Readonly<Record<string, unknown>>;
}

function sqlState(error: unknown): string | undefined {
  return (error as { code?: unknown })?.code as string | undefined;
}

/**
 * Computes one organization's dataset through `analytics.dataset_json`, in a
 * transaction that runs as the caller (local `role` and `request.jwt.claims`, set in
 * one statement as PostgREST sets them)
 * so Row Level Security is the guard even after the membership check.
 */
export async function queryDataset(
  sql: Sql,
  caller: QueryCaller,
  dataset: string,
  organizationId: string,
  params: DatasetParams,
): Promise<DatasetDocument> {
  try {
    return await sql.begin(async (tx) => {
      // One statement, as PostgREST does: setting `role` locally is `set local role`.
      await tx`
        select set_config('role', ${caller.role}, true),
               set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true)`;
      const [row] = await tx<{ document: DatasetDocument }[]>`
        select analytics.dataset_json(${dataset}, ${organizationId}, ${
        tx.json(params)
      }) as document`;
      return row!.document;
    });
  } catch (error) {
    if (sqlState(error) === "42501") {
      throw new ForbiddenError(`Not a member of organization ${organizationId}`);
    }
    if (sqlState(error) === "22023") {
      throw new InvalidRequestError((error as Error).message);
    }
    throw error;
  }
}
