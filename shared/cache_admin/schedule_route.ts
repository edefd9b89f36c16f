import type { Sql } from "postgres";
import { z } from "zod";
import type { CallerVerifier } from "../auth/caller.ts";
import { formatDuration } from "../util/durations.ts";
import { authenticateAdmin } from "./admin_caller.ts";
import { requireServiceRole } from "./admin_scope.ts";
import type { CacheAdminSettings } from "./cache_admin_settings.ts";
import { CLEANUP_JOB_NAME } from "./health_inputs.ts";
import { logMaintenance } from "./maintenance_log.ts";
import { readJsonBody } from "../http/json_body.ts";
import { hasBody, type Route } from "../http/route.ts";

/**
 * `POST /cache-admin/maintenance/schedule` (service role; no body, or `{}`): registers the
 * pg_cron job of the scheduled cleanup to run every `CACHE_CLEANUP_INTERVAL`,
 * replacing the job of the same name (one job, whatever the calls), and logs it.
 */
export function scheduleRoute(
  sql: Sql,
  verifyCaller: CallerVerifier,
  settings: Pick<CacheAdminSettings, "CACHE_CLEANUP_INTERVAL">,
): Route {
  return {
    method: "POST",
    path: "/maintenance/schedule",
    body: "optional-json",
    handle: async (request) => {
      const identity = await authenticateAdmin(request, verifyCaller);
      requireServiceRole(identity, "the cleanup schedule");
      if (hasBody(request)) await readJsonBody(request, z.object({}).strict(), 64);
      const startedAt = new Date();
      const started = performance.now();
      const interval = formatDuration(settings.CACHE_CLEANUP_INTERVAL);
      const job = await sql.begin(async (tx) => {
        const [scheduled] = await tx<{ jobid: string }[]>`
          select cache_admin.schedule_cleanup(
            ${settings.CACHE_CLEANUP_INTERVAL} * interval '1 millisecond') as jobid`;
        const [job] = await tx<{ schedule: string; command: string }[]>`
          select schedule, command from cron.job where jobid = ${scheduled!.jobid}`;
        await logMaintenance(tx, {
          scope: { organizationId: null, actorUserId: null, actorRole: "service_role" },
          action: "schedule_cleanup",
          criteria: { interval },
          deletedEntries: 0,
          details: { schedule: job!.schedule },
          durationMs: performance.now() - started,
          startedAt,
        });
        return job!;
      });
      return Response.json({
        job: CLEANUP_JOB_NAME,
        interval,
        schedule: job.schedule,
        command: job.command,
      });
    },
  };
}
