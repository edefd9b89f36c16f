import { parseArgs } from "node:util";
import { z } from "zod";

/** What to generate, and where. */
export interface GeneratorOptions {
  /** Organizations to create. */
  readonly organizations: number;
  /** Invoices per organization (0 gives organizations with a catalog but no invoices). */
  readonly invoicesPerOrganization: number;
  /** Lines on every invoice. @default 10 */
  readonly linesPerInvoice: number;
  /** Seed: equal options give byte-equal data; different seeds give disjoint ids. @default 1 */
  readonly seed: number;
  /** Latest invoice date (YYYY-MM-DD). @default today (UTC) */
  readonly endDate: string;
  /** Invoices are dated in the `historyDays` days ending with `endDate`. @default 450 */
  readonly historyDays: number;
  /** Parallel database sessions. @default 2 */
  readonly workers: number;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD")
  .refine((value) => {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
  }, "must be a real calendar date");

const optionsSchema = z.object({
  organizations: z.number().int().min(1).max(1_000_000),
  invoicesPerOrganization: z.number().int().min(0).max(1_000_000),
  linesPerInvoice: z.number().int().min(1).max(1_000).default(10),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  endDate: isoDate.default(() => new Date().toISOString().slice(0, 10)),
  historyDays: z.number().int().min(1).max(3_650).default(450),
  workers: z.number().int().min(1).max(16).default(2),
});

/** Thrown for invalid generator options, with every problem in the message. */
export class InvalidGeneratorOptionsError extends Error {
  override name = "InvalidGeneratorOptionsError";
}

/** Fills defaults and validates; throws `InvalidGeneratorOptionsError`. */
export function resolveGeneratorOptions(input: Partial<GeneratorOptions>): GeneratorOptions {
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
    throw new InvalidGeneratorOptionsError(`Invalid generator options: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** Flags of `./nightshift generate`. */
const FLAGS = {
  "orgs": { type: "string" },
  "invoices-per-org": { type: "string" },
  "lines-per-invoice": { type: "string" },
  "seed": { type: "string" },
  "end-date": { type: "string" },
  "history-days": { type: "string" },
  "workers": { type: "string" },
  "db-url": { type: "string" },
  "rebuild": { type: "boolean", default: false },
} as const;

/** `util.parseArgs` with its errors (unknown flag, missing value) as `InvalidGeneratorOptionsError`. */
function parseCommandLine(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], strict: true, options: FLAGS });
  } catch (error) {
    throw new InvalidGeneratorOptionsError(
      `Invalid generator options: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Command line of `./nightshift generate`, parsed into options plus the database URL. */
export interface GeneratorCommandLine {
  readonly options: GeneratorOptions;
  /** Target database; `undefined` means the caller's default. */
  readonly dbUrl: string | undefined;
  /** Rebuild the nightly analytics of the generated organizations afterwards. */
  readonly rebuild: boolean;
}

/**
 * Parses `--orgs N --invoices-per-org M [--lines-per-invoice L] [--seed S]
 * [--end-date YYYY-MM-DD] [--history-days D] [--workers W] [--db-url URL] [--rebuild]`.
 */
export function parseGeneratorArgs(args: readonly string[]): GeneratorCommandLine {
  const { values } = parseCommandLine(args);
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  const input = Object.fromEntries(
    Object.entries({
      organizations: number(values.orgs),
      invoicesPerOrganization: number(values["invoices-per-org"]),
      linesPerInvoice: number(values["lines-per-invoice"]),
      seed: number(values.seed),
      endDate: values["end-date"],
      historyDays: number(values["history-days"]),
      workers: number(values.workers),
    }).filter(([, value]) => value !== undefined),
  ) as Partial<GeneratorOptions>;
  return {
    options: resolveGeneratorOptions(input),
    dbUrl: values["db-url"],
    rebuild: values.rebuild ?? false,
  };
}
