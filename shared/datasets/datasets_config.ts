import { z } from "zod";
import { durationSchema } from "../cache/durations.ts";

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
  DATASETS_MEMBERSHIP_TTL: durationSchema(0).default(5_000),
  CORS_ALLOWED_ORIGINS: z.string().default("*").transform((value) =>
    value.split(",").map((origin) => origin.trim()).filter(Boolean)
  ),
});

/** Settings of the datasets function (see .env.example). */
export type DatasetsConfig = z.infer<typeof schema>;

/** Thrown at start-up when a setting is malformed. */
export class DatasetsConfigError extends Error {
  override name = "DatasetsConfigError";
}

/** Reads and validates the datasets function's settings from the environment. */
export function readDatasetsConfig(
  source: (name: string) => string | undefined = (name) => Deno.env.get(name),
): DatasetsConfig {
  const values = Object.fromEntries(Object.keys(schema.shape).map((name) => [name, source(name)]));
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      `${issue.path.join(".")}: ${issue.message}`
    );
    throw new DatasetsConfigError(`Invalid datasets settings: ${problems.join("; ")}`);
  }
  return parsed.data;
}
