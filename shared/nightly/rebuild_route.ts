import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import { defaultWaitUntil, type WaitUntil } from "../cache/background_tasks.ts";
import { authenticateAdmin, authorizeOrganizationAdmin } from "../cache_admin/admin_caller.ts";
import { ConflictError, NotFoundError } from "../http/errors.ts";
import { readJsonBody } from "../http/json_body.ts";
import type { Route } from "../http/route.ts";
import { type InvocationContext, runTick } from "./invocation.ts";
import { intervalOf } from "./settings.ts";

const bodySchema = z.object({
  organization_id: z.uuid({ message: "must be a UUID" }).transform((id) => id.toLowerCase()),
}).strict();

/** What `POST /nightly-refresh/rebuild` answers (202). */
export interface RebuildResponse {
  readonly organization_id: string;
  /** queued: a new job; already_queued: a job of the organization was waiting or running. */
  readonly status: "queued" | "already_queued";
  readonly run_id: string;
  readonly job_id: number;
  /** The local night the rebuild is for (the organization's latest). */
  readonly local_date: string;
}

/** What the rebuild route needs: the tick's context (it starts a worker), and where to keep it alive. */
export interface RebuildRouteOptions extends InvocationContext {
  readonly verifyCaller: CallerVerifier;
  /** @default {defaultWaitUntil()} */
  readonly waitUntil?: WaitUntil;
}

function postgresCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

/**
 * `POST /nightly-refresh/rebuild` `{"organization_id"}`: queues that organization's
 * nightly refresh now (`nightly.enqueue_rebuild`: the same queue, processing,
 * validation, log, broadcast and notices as a night; idempotent while a job of
 * it is queued or running), then starts a worker in the background that works
 * the queue as a tick does (without enqueueing other organizations). Owners and admins of the organization, or the service role; members
 * and others 403, anonymous 401. 400 for a bad body, 404 for an unknown
 * organization, 409 for a suspended one. Answers 202 before the work is done:
 * follow it with `GET /nightly-refresh/runs`.
 */
export function rebuildRoute(options: RebuildRouteOptions): Route {
  const waitUntil = options.waitUntil ?? defaultWaitUntil();
  return {
    method: "POST",
    path: "/rebuild",
    body: "json",
    handle: async (request) => {
      const identity = await authenticateAdmin(request, options.verifyCaller);
      const body = await readJsonBody(request, bodySchema);
      const admin = await authorizeOrganizationAdmin(options.sql, identity, body.organization_id);
      const now = new Date(options.clock?.now() ?? Date.now());
      let rows: { run_id: string; job_id: string; local_date: string; created: boolean }[];
      try {
        rows = await options.sql<typeof rows>`
          select run_id, job_id::text, local_date::text, created from nightly.enqueue_rebuild(
            ${body.organization_id}, ${now}, ${admin.userId ?? null},
            ${options.settings.NIGHTLY_LOCAL_TIME}::time,
            ${intervalOf(options.settings.NIGHTLY_TIMEOUT)}::interval)`;
      } catch (error) {
        if (postgresCode(error) === "P0002") {
          throw new NotFoundError(`Organization ${body.organization_id} does not exist`);
        }
        if (postgresCode(error) === "55000") {
          throw new ConflictError((error as Error).message, { reason: "suspended" });
        }
        throw error;
      }
      const row = rows[0]!;
      waitUntil(
        runTick({ ...options, enqueueDue: false }).catch((error) => {
          console.error("nightly: the worker started by a rebuild failed:", error);
        }),
      );
      const response: RebuildResponse = {
        organization_id: body.organization_id,
        status: row.created ? "queued" : "already_queued",
        run_id: row.run_id,
        job_id: Number(row.job_id),
        local_date: row.local_date,
      };
      return Response.json(response, { status: 202, headers: { "Cache-Control": "no-store" } });
    },
  };
}
