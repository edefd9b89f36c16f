import type { Sql } from "postgres";
import { generateProcurementData } from "../../../tools/generator/generate.ts";
import { EntityKind, generatedId, generatedOrganizationIds } from "../../../tools/generator/ids.ts";
import {
  type GeneratorOptions,
  resolveGeneratorOptions,
} from "../../../tools/generator/options.ts";
import { testStack } from "../../support/stack.ts";

/** The end date every test generation uses, so data never depends on the day tests run. */
export const GENERATED_END_DATE = "2026-11-20";

/** A generator run made by a test, to be dropped when the test ends. */
export interface GeneratedData {
  readonly options: GeneratorOptions;
  readonly organizationIds: readonly string[];
}

/**
 * Generates data into the test database. Each test file uses its own seeds,
 * so runs never collide; `dropGenerated` removes what a run created.
 */
export async function generateForTest(
  input: Partial<GeneratorOptions> & Pick<GeneratorOptions, "seed" | "organizations">,
): Promise<GeneratedData> {
  const options = resolveGeneratorOptions({
    invoicesPerOrganization: 0,
    endDate: GENERATED_END_DATE,
    workers: 1,
    ...input,
  });
  await generateProcurementData(testStack.dbUrl, options);
  return {
    options,
    organizationIds: generatedOrganizationIds(options.seed, options.organizations),
  };
}

/** Deletes a generated run's organizations (and everything in them) and users. */
export async function dropGenerated(sql: Sql, data: GeneratedData): Promise<void> {
  const users = Array.from(
    { length: data.options.organizations * 3 },
    (_, index) => generatedId(EntityKind.user, data.options.seed, index),
  );
  await sql`delete from public.organizations where id in ${sql(data.organizationIds)}`;
  await sql`delete from auth.users where id in ${sql(users)}`;
}
