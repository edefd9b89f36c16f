/**
 * Defense in depth for notices: whatever text ends up in a message (an error
 * message quoting a connection string, say), known secrets never leave.
 *
 * @module
 */

/** What replaces a secret. */
export const REDACTED = "[redacted]";

/**
 * Returns a copy of `value` in which every string has each secret replaced by
 * `[redacted]`. Secrets shorter than 8 characters are ignored (they would
 * match ordinary words).
 *
 * @example Redact a secret inside a nested message
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactSecrets } from "./redact.ts";
 *
 * const message = { text: "failed: password=hunter2hunter2", blocks: [] };
 * assert.deepEqual(redactSecrets(message, ["hunter2hunter2"]), {
 *   text: "failed: password=[redacted]",
 *   blocks: [],
 * });
 * ```
 */
export function redactSecrets<T>(value: T, secrets: readonly (string | undefined)[]): T {
  const known = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 8))]
    .sort((a, b) => b.length - a.length);
  if (known.length === 0) return value;
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") {
      return known.reduce((text, secret) => text.replaceAll(secret, REDACTED), node);
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === "object") {
      return Object.fromEntries(Object.entries(node).map(([key, inner]) => [key, walk(inner)]));
    }
    return node;
  };
  return walk(value) as T;
}

/**
 * The secrets of a function's environment worth redacting: the given values,
 * plus the password of a database URL.
 */
export function secretsOf(values: readonly (string | undefined)[]): string[] {
  const secrets: string[] = [];
  for (const value of values) {
    if (!value) continue;
    secrets.push(value);
    try {
      const password = decodeURIComponent(new URL(value).password);
      if (password) secrets.push(password);
    } catch {
      // not a URL
    }
  }
  return secrets;
}
