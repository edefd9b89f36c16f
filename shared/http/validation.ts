import type { z } from "zod";
import { InvalidRequestError } from "./errors.ts";

/** One problem found by validation, in a form a caller can act on. */
export interface ValidationProblem {
  readonly path: string;
  readonly message: string;
}

/** Turns zod issues into `{path, message}` pairs (path dotted, `(root)` for the whole value). */
export function describeIssues(error: z.ZodError): ValidationProblem[] {
  return error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.join(".") : "(root)",
    message: issue.message,
  }));
}

/**
 * Validates `value` with `schema`, or throws an `InvalidRequestError` whose
 * message names what to fix and whose details list every problem.
 */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = describeIssues(result.error);
  const summary = problems.map((p) => `${p.path}: ${p.message}`).join("; ");
  throw new InvalidRequestError(`Invalid ${what}: ${summary}`, { problems });
}
