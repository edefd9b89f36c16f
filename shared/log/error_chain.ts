/** One error of a cause chain as logged: never a secret, at most a stack. */
export interface LoggedError {
  readonly name: string;
  readonly message: string;
  /** `code` of the error when it has one (`E_…`, a SQLSTATE, `ECONNREFUSED`). */
  readonly code?: string;
  readonly stack?: string;
}

/** Longest chain followed: a cycle or a deep wrap stops here. */
const MAX_DEPTH = 8;

/**
 * Flattens `error` and its `cause`s, outermost first, into JSON-safe records
 * (`JSON.stringify` of an `Error` is `{}`), for the `error` field of a log line.
 */
export function errorChain(error: unknown): LoggedError[] {
  const chain: LoggedError[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < MAX_DEPTH) {
    if (seen.has(current)) break;
    seen.add(current);
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      chain.push({
        name: current.name,
        message: current.message,
        ...(typeof code === "string" || typeof code === "number" ? { code: String(code) } : {}),
        ...(current.stack ? { stack: current.stack } : {}),
      });
      current = current.cause;
    } else {
      chain.push({ name: typeof current, message: String(current) });
      break;
    }
  }
  return chain;
}
