import { z } from "zod";
import type { Route } from "../http/route.ts";
import { readJsonBody } from "../http/json_body.ts";
import { verifyCronSecret } from "./cron_secret.ts";
import {
  type InvocationContext,
  runNoticeDelivery,
  runOverdueCheck,
  runTick,
} from "./invocation.ts";

const tasks = {
  "tick": runTick,
  "overdue-check": runOverdueCheck,
  "deliver-notices": runNoticeDelivery,
} as const;

const bodySchema = z.object({
  task: z.enum(["tick", "overdue-check", "deliver-notices"], {
    message: 'must be "tick", "overdue-check" or "deliver-notices"',
  })
    .default("tick"),
}).strict();

/**
 * `POST /nightly-refresh` `{"task": "tick" | "overdue-check" | "deliver-notices"}`
 * (default tick),
 * from pg_cron through pg_net with `Authorization: Bearer <cron secret>`.
 * The secret is checked before anything else: without it, 401 and nothing
 * is read or written. Answers the invocation's report.
 */
export function tickRoute(context: InvocationContext): Route {
  return {
    method: "POST",
    path: "/",
    body: "optional-json",
    handle: async (request) => {
      await verifyCronSecret(request, context.settings.NIGHTLY_CRON_SECRET);
      const hasBody = request.body !== null && request.headers.get("content-length") !== "0";
      const body = hasBody ? await readJsonBody(request, bodySchema) : bodySchema.parse({});
      const report = await tasks[body.task](context);
      return Response.json(report, { headers: { "Cache-Control": "no-store" } });
    },
  };
}
