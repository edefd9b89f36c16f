/**
 * Reads an invalidation notice as broadcast (v1 shape of
 * shared/invalidation/invalidation_notice.ts: `v`, `seq`, `organization_id`,
 * `cause`, `action`, `datasets` (null = every dataset), `tags`, `at`, `details`).
 * Checked by hand rather than with the shared zod schema so the static app does
 * not bundle zod; anything else (another version, another organization) is null.
 */
export interface LiveNoticeV1 {
  readonly v: 1;
  readonly seq: number;
  readonly organization_id: string;
  readonly cause: "write" | "admin" | "maintenance" | "nightly";
  readonly action: "expire" | "purge";
  readonly datasets: readonly string[] | null;
  readonly tags: readonly string[];
  /** ISO 8601 UTC, commit-side. */
  readonly at: string;
  readonly details?: Record<string, unknown>;
}

const CAUSES = new Set(["write", "admin", "maintenance", "nightly"]);
const ACTIONS = new Set(["expire", "purge"]);
const strings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/** The notice when `payload` is a v1 notice of `organizationId`, else null. */
export function readNotice(payload: unknown, organizationId: string): LiveNoticeV1 | null {
  if (typeof payload !== "object" || payload === null) return null;
  const p = payload as Record<string, unknown>;
  if (p.v !== 1 || p.organization_id !== organizationId) return null;
  if (typeof p.seq !== "number" || !Number.isInteger(p.seq) || p.seq < 0) return null;
  if (!CAUSES.has(p.cause as string) || !ACTIONS.has(p.action as string)) return null;
  if (p.datasets !== null && !strings(p.datasets)) return null;
  if (!strings(p.tags) || typeof p.at !== "string") return null;
  const details = typeof p.details === "object" && p.details !== null
    ? { details: p.details as Record<string, unknown> }
    : {};
  return {
    v: 1,
    seq: p.seq,
    organization_id: organizationId,
    cause: p.cause as LiveNoticeV1["cause"],
    action: p.action as LiveNoticeV1["action"],
    datasets: p.datasets as string[] | null,
    tags: p.tags,
    at: p.at,
    ...details,
  };
}
