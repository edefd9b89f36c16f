import { z } from "zod";
import { type AccessTokenVerifier, createAccessTokenVerifier } from "./auth/access_token.ts";
import type { CorsOptions } from "./http/cors.ts";

const schema = z.object({
  NIGHTSHIFT_JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  SUPABASE_JWKS: z.string().optional().transform((value, context) => {
    if (!value) return undefined;
    try {
      const parsed = JSON.parse(value);
      if (!Array.isArray(parsed?.keys)) throw new Error("no keys array");
      return parsed as { keys: JsonWebKey[] };
    } catch (error) {
      context.addIssue({
        code: "custom",
        message: `must be a JWKS JSON document: ${(error as Error).message}`,
      });
      return z.NEVER;
    }
  }),
  CORS_ALLOWED_ORIGINS: z.string().default("*").transform((value) =>
    value.split(",").map((origin) => origin.trim()).filter(Boolean)
  ),
});

/** Settings every user-facing function shares (see .env.example). */
export type FunctionSettings = z.infer<typeof schema>;

/** Thrown at start-up when a setting is malformed; names every bad setting. */
export class FunctionSettingsError extends Error {
  override name = "FunctionSettingsError";
}

/**
 * Reads and validates settings with `schema` from the environment: the shared
 * ones by default, or a function's own schema.
 */
export function readSettings<T extends z.ZodObject>(
  settingsSchema: T,
  source: (name: string) => string | undefined = (name) => Deno.env.get(name),
): z.infer<T> {
  const values = Object.fromEntries(
    Object.keys(settingsSchema.shape).map((name) => [name, source(name)]),
  );
  const parsed = settingsSchema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      `${issue.path.join(".")}: ${issue.message}`
    );
    throw new FunctionSettingsError(`Invalid function settings: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** Reads the shared settings of user-facing functions. */
export function readFunctionSettings(
  source: (name: string) => string | undefined = (name) => Deno.env.get(name),
): FunctionSettings {
  return readSettings(schema, source);
}

/**
 * The project's token verifier: `SUPABASE_JWKS` when given, else the JWKS of
 * `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`, plus the legacy HS256 secret
 * when `NIGHTSHIFT_JWT_SECRET` is set.
 */
export function projectTokenVerifier(
  settings: FunctionSettings,
  supabaseUrl: string,
): AccessTokenVerifier {
  return createAccessTokenVerifier({
    jwks: settings.SUPABASE_JWKS ?? new URL(`${supabaseUrl}/auth/v1/.well-known/jwks.json`),
    ...(settings.NIGHTSHIFT_JWT_SECRET ? { legacySecret: settings.NIGHTSHIFT_JWT_SECRET } : {}),
  });
}

/** The CORS policy of a function from the shared settings. */
export function corsPolicy(settings: FunctionSettings, methods: readonly string[]): CorsOptions {
  return { allowedOrigins: settings.CORS_ALLOWED_ORIGINS, allowedMethods: methods };
}
