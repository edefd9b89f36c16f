import { z } from "zod";
import { durationSchema } from "../util/durations.ts";
import { readSettings } from "../function_settings.ts";

const schema = z.object({
  DATASETS_MEMBERSHIP_TTL: durationSchema(0).default(5_000),
});

/** Settings of the datasets function itself (see .env.example). */
export type DatasetsSettings = z.infer<typeof schema>;

/** Reads and validates the datasets function's own settings. */
export function readDatasetsSettings(
  source: (name: string) => string | undefined = (name) => Deno.env.get(name),
): DatasetsSettings {
  return readSettings(schema, source);
}
