import { z } from "zod";

const functionEnvSchema = z.object({
  SUPABASE_URL: z.url(),
  SUPABASE_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  SUPABASE_ANON_KEY: z.string().min(1),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1),
});

/** The environment every deployed function receives from Supabase. */
export type FunctionEnv = z.infer<typeof functionEnvSchema>;

/** Thrown when the function's environment is incomplete or malformed. */
export class InvalidEnvironmentError extends Error {
  override name = "InvalidEnvironmentError";
}

/** Reads and validates the platform environment of a function. */
export function readFunctionEnv(
  source: (name: string) => string | undefined = Deno.env.get,
): FunctionEnv {
  const values = Object.fromEntries(
    Object.keys(functionEnvSchema.shape).map((name) => [name, source(name)]),
  );
  const parsed = functionEnvSchema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      `${issue.path.join(".")}: ${issue.message}`
    );
    throw new InvalidEnvironmentError(`Invalid function environment: ${problems.join("; ")}`);
  }
  return parsed.data;
}
