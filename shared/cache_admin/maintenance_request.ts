import { z } from "zod";
import { InvalidRequestError } from "../http/errors.ts";
import { parseOrThrow } from "../http/validation.ts";

/** The maintenance actions, in the order the README lists them. */
export const MAINTENANCE_ACTIONS = [
  "cleanup_expired",
  "cleanup_unused",
  "selective_clear",
  "optimize",
  "emergency_clear",
] as const;

/** One of {@linkcode MAINTENANCE_ACTIONS}. */
export type MaintenanceAction = typeof MAINTENANCE_ACTIONS[number];

const organizationId = z.uuid({ message: "must be a UUID" }).transform((id) => id.toLowerCase());
const scoped = { organization_id: organizationId.optional() };

const selectiveClear = z.object({
  action: z.literal("selective_clear"),
  ...scoped,
  tags: z.array(z.string().min(1, "must not be empty").max(256, "must be at most 256 characters"))
    .min(1, "must not be empty: leave it out instead").max(100, "at most 100 tags").optional(),
  key_prefixes: z.array(
    z.string().min(1, "must not be empty").max(1024, "must be at most 1024 characters"),
  ).min(1, "must not be empty: leave it out instead").max(100, "at most 100 key prefixes")
    .optional(),
  older_than_hours: z.number({ message: "must be a number of hours" })
    .min(1, "must be at least 1").max(8760, "must be at most 8760 (a year)").optional(),
}).strict().refine(
  (body) =>
    body.tags !== undefined || body.key_prefixes !== undefined ||
    body.older_than_hours !== undefined,
  {
    message: "selective_clear needs at least one criterion: tags, key_prefixes or older_than_hours",
  },
);

const schemas = {
  cleanup_expired: z.object({ action: z.literal("cleanup_expired"), ...scoped }).strict(),
  cleanup_unused: z.object({ action: z.literal("cleanup_unused"), ...scoped }).strict(),
  selective_clear: selectiveClear,
  optimize: z.object({ action: z.literal("optimize"), ...scoped }).strict(),
  emergency_clear: z.object({
    action: z.literal("emergency_clear"),
    ...scoped,
    confirmation_token: z.string().regex(
      /^[A-Za-z0-9_-]{32,128}$/,
      "must be the token returned by the first emergency_clear call",
    ).optional(),
  }).strict(),
} as const;

/** A validated `POST /cache-admin/maintenance` body. */
export type MaintenanceRequest = { [A in MaintenanceAction]: z.infer<typeof schemas[A]> }[
  MaintenanceAction
];

/**
 * Validates a maintenance body: first its `action` (an unknown one is named with
 * the list of actions), then the fields of that action, strictly (an unknown
 * field is refused, so a typo never widens what is deleted).
 */
export function parseMaintenanceRequest(body: unknown): MaintenanceRequest {
  const head = parseOrThrow(
    z.object({
      action: z.enum(MAINTENANCE_ACTIONS, {
        message: `must be one of ${MAINTENANCE_ACTIONS.join(", ")}`,
      }),
    }),
    body,
    "body",
  );
  return parseOrThrow(schemas[head.action], body, `body of ${head.action}`);
}

/**
 * Refuses selective-clear criteria that reach outside `organizationId`: tags must
 * be that organization's (`org:<id>` or `org:<id>:…`) and key prefixes must start
 * with `<id>:`. (Entries are also filtered by organization when deleting.)
 */
export function checkCriteriaScope(
  organizationId: string | null,
  criteria: {
    readonly tags?: readonly string[] | undefined;
    readonly key_prefixes?: readonly string[] | undefined;
  },
): void {
  if (organizationId === null) return;
  const problems = [
    ...(criteria.tags ?? []).flatMap((tag, index) =>
      tag === `org:${organizationId}` || tag.startsWith(`org:${organizationId}:`) ? [] : [{
        path: `tags.${index}`,
        message: `must be a tag of organization ${organizationId} (org:${organizationId}…)`,
      }]
    ),
    ...(criteria.key_prefixes ?? []).flatMap((prefix, index) =>
      prefix.startsWith(`${organizationId}:`) ? [] : [{
        path: `key_prefixes.${index}`,
        message: `must start with ${organizationId}: (the organization's keys)`,
      }]
    ),
  ];
  if (problems.length > 0) {
    throw new InvalidRequestError(
      `Invalid body of selective_clear: ${
        problems.map((p) => `${p.path}: ${p.message}`).join("; ")
      }`,
      { problems },
    );
  }
}
