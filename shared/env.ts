import { z } from "zod";
import { readSettings } from "./function_settings.ts";

const functionEnvSchema = z.object({
  SUPABASE_URL: z.url(),
  SUPABASE_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  SUPABASE_ANON_KEY: z.string().min(1),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1),
});

/** The environment every deployed function receives from Supabase. */
export type FunctionEnv = z.infer<typeof functionEnvSchema>;

/** Reads and validates the platform environment of a function; names every bad variable. */
export function readFunctionEnv(
  source: (name: string) => string | undefined = (name) => Deno.env.get(name),
): FunctionEnv {
  return readSettings(functionEnvSchema, source);
}
