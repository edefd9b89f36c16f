/**
 * How a `./nightshift` task fails: one line on stderr saying what happened and
 * what to do, exit code 1, no stack trace (set `NIGHTSHIFT_DEBUG=1` for one).
 *
 * @module
 */

/** A failure whose message already says what happened and what to do. */
export class CommandError extends Error {
  override name = "CommandError";
}

/** The first line of an error's message, trimmed. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n").map((line) => line.trim()).find((line) => line !== "") ??
    "unknown error";
}

/**
 * Prints `nightshift <task>: <what happened>` (a {@linkcode CommandError} also
 * says what to do) and exits with code 1.
 */
export function failTask(task: string, error: unknown): never {
  const hint = error instanceof CommandError ? "" : " (NIGHTSHIFT_DEBUG=1 shows the details)";
  console.error(`nightshift ${task}: ${firstLine(error)}${hint}`);
  if (Deno.env.get("NIGHTSHIFT_DEBUG")) console.error(error);
  Deno.exit(1);
}

/** Runs a task's `main`, failing it with {@linkcode failTask} on any error. */
export async function runTask(task: string, main: () => unknown | Promise<unknown>): Promise<void> {
  try {
    await main();
  } catch (error) {
    failTask(task, error);
  }
}
