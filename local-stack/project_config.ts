import { parse } from "smol-toml";
import { join } from "node:path";
import { z } from "zod";
import { supabaseDir } from "./paths.ts";

const functionConfigSchema = z.object({
  verify_jwt: z.boolean().default(true),
  entrypoint: z.string().optional(),
}).passthrough();

const configSchema = z.object({
  api: z.object({ port: z.number().int().default(54321) }).passthrough().default({ port: 54321 }),
  db: z.object({ port: z.number().int().default(54322) }).passthrough().default({ port: 54322 }),
  studio: z.object({ port: z.number().int().default(54323) }).passthrough()
    .default({ port: 54323 }),
  functions: z.record(z.string(), functionConfigSchema).default({}),
  auth: z.object({ jwt_expiry: z.number().int().positive().default(3600) }).passthrough()
    .default({ jwt_expiry: 3600 }),
}).passthrough();

/** How one edge function is served. */
export interface FunctionDefinition {
  readonly name: string;
  /** Absolute path of its entrypoint (`index.ts` unless config.toml says otherwise). */
  readonly entrypoint: string;
  /** Whether the gateway demands a valid JWT before calling it. */
  readonly verifyJwt: boolean;
}

/** What the local stack takes from `supabase/config.toml`. */
export interface ProjectConfig {
  readonly apiPort: number;
  readonly dbPort: number;
  /** `[studio] port`: where the local stack serves the admin dashboard. */
  readonly dashboardPort: number;
  readonly functions: readonly FunctionDefinition[];
  /** `[auth] jwt_expiry`: access token lifetime in seconds. */
  readonly authJwtExpirySeconds: number;
}

/** Reads `supabase/config.toml` and discovers `supabase/functions/<name>/index.ts`. */
export function readProjectConfig(dir: string = supabaseDir): ProjectConfig {
  const parsed = configSchema.parse(parse(Deno.readTextFileSync(join(dir, "config.toml"))));
  const functionsDir = join(dir, "functions");
  const functions: FunctionDefinition[] = [];
  for (const entry of Deno.readDirSync(functionsDir)) {
    if (!entry.isDirectory || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    const settings = parsed.functions[entry.name];
    const entrypoint = settings?.entrypoint
      ? join(dir, settings.entrypoint)
      : join(functionsDir, entry.name, "index.ts");
    functions.push({ name: entry.name, entrypoint, verifyJwt: settings?.verify_jwt ?? true });
  }
  functions.sort((a, b) => a.name.localeCompare(b.name));
  return {
    apiPort: parsed.api.port,
    dbPort: parsed.db.port,
    dashboardPort: parsed.studio.port,
    functions,
    authJwtExpirySeconds: parsed.auth.jwt_expiry,
  };
}
