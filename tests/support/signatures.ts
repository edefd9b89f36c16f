import type { Sql } from "postgres";

/** What the catalog says about a function: arguments with defaults, and the result type. */
export interface FunctionSignature {
  readonly arguments: string;
  readonly result: string;
}

/** Reads every overload of `schema.name` from pg_proc, as pg_get_function_arguments prints them. */
export async function signaturesOf(
  sql: Sql,
  schema: string,
  name: string,
): Promise<FunctionSignature[]> {
  return await sql<FunctionSignature[]>`
    select pg_get_function_arguments(p.oid) as arguments,
           pg_get_function_result(p.oid) as result
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = ${schema} and p.proname = ${name}
     order by 1`.then((rows) =>
    rows.map((row) => ({ arguments: row.arguments, result: row.result }))
  );
}
