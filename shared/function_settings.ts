import { z } from "zod";
import { type CallerVerifier, createCallerVerifier } from "./auth/caller.ts";
import type { FunctionEnv } from "./env.ts";

/**
 * A JSON object of named API keys, as Supabase passes `SUPABASE_PUBLISHABLE_KEYS`
 * and `SUPABASE_SECRET_KEYS` to functions (`{"default": "sb_secret_…"}`).
 */
function keyMap(prefix: string) {
  return z.string().optional().transform((value, context) => {
    if (!value) return {};
    try {
      const parsed = JSON.parse(value);
      if (
        typeof parsed !== "object" || parsed === null || Array.isArray(parsed) ||
        !Object.values(parsed).every((key) => typeof key === "string" && key.startsWith(prefix))
      ) {
        throw new Error(`not an object of ${prefix}… keys by name`);
      }
      return parsed as Record<string, string>;
    } catch (error) {
      context.addIssue({
        code: "custom",
        message: `must be a JSON object of ${prefix}… keys: ${(error as Error).message}`,
      });
      return z.NEVER;
    }
  });
}

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
  SUPABASE_PUBLISHABLE_KEYS: keyMap("sb_publishable_"),
  SUPABASE_SECRET_KEYS: keyMap("sb_secret_"),
  CORS_ALLOWED_ORIGINS: z.string().default("*").transform((value) =>
    value.split(",").map((origin) => origin.trim()).filter(Boolean)
  ),
  LOG_LEVEL: z.enum(["debug", "info", "warning", "error"], {
    message: "must be debug, info, warning or error",
  }).default("info"),
});

/** Settings every user-facing function shares (see .env.example). */
export type FunctionSettings = z.infer<typeof schema>;

/** Thrown at start-up when a setting is malformed; names every bad setting. */
export class FunctionSettingsError extends Error {
  override name = "FunctionSettingsError";
}

/**
 * Reads and validates settings with `schema` from the environment. One rule for
 * empty values everywhere: a variable that is empty or only spaces (`NAME=` in an
 * env file) counts as unset, so its default applies. Values are trimmed.
 */
export function readSettings<T extends z.ZodObject>(
  settingsSchema: T,
  source: (name: string) => string | undefined = (name) => Deno.env.get(name),
): z.infer<T> {
  const values = Object.fromEntries(
    Object.keys(settingsSchema.shape).map((name) => [name, source(name)?.trim() || undefined]),
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
 * The verifier of the project's callers (`shared/auth/caller.ts`): user tokens
 * against `SUPABASE_JWKS` (else `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`),
 * legacy HS256 tokens against `NIGHTSHIFT_JWT_SECRET` when set, `sb_secret_…` /
 * `sb_publishable_…` keys against `SUPABASE_SECRET_KEYS` /
 * `SUPABASE_PUBLISHABLE_KEYS`, and the legacy service-role / anon JWT keys the
 * platform passes (`SUPABASE_SERVICE_ROLE_KEY`, `SUPABASE_ANON_KEY`) as keys.
 */
export function callerVerifier(settings: FunctionSettings, env: FunctionEnv): CallerVerifier {
  return createCallerVerifier({
    supabaseUrl: env.SUPABASE_URL,
    jwks: settings.SUPABASE_JWKS ?? new URL(`${env.SUPABASE_URL}/auth/v1/.well-known/jwks.json`),
    legacySecret: settings.NIGHTSHIFT_JWT_SECRET,
    secretKeys: {
      ...settings.SUPABASE_SECRET_KEYS,
      legacy_service_role: env.SUPABASE_SERVICE_ROLE_KEY,
    },
    publishableKeys: { ...settings.SUPABASE_PUBLISHABLE_KEYS, legacy_anon: env.SUPABASE_ANON_KEY },
  });
}
