/**
 * Benchmark baseline `authed-bare`: the bare server plus the endpoint's own
 * work around the cache (request parsing, token verification, membership
 * check, cache key, response headers), answering the bytes of
 * `BENCH_BODY_FILE` from memory. The L1 hit does this and a cache lookup, so
 * the difference between the two is the cache. Never deployed.
 */
import { computeEtag } from "../../../../shared/cache/etag.ts";
import { authorize, respond, serve } from "../_dataset_shell.ts";

const path = Deno.env.get("BENCH_BODY_FILE");
if (!path) throw new Error("authed-bare: set BENCH_BODY_FILE to the file whose bytes to serve");
const body = Deno.readTextFileSync(path);
const etag = computeEtag(body);
const now = Date.now();

serve(async (request, shellHeaders, log) => {
  const read = await authorize(request, log);
  return respond(
    request,
    {
      key: read.key,
      organizationId: read.target.organizationId,
      dataset: read.target.dataset,
      body,
      etag,
      tagVersions: {},
      generatedAt: now,
      freshUntil: now + 3_600_000,
      expiresAt: now + 7_200_000,
    },
    "HIT",
    shellHeaders(),
    log,
  );
});
