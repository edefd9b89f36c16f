/**
 * Benchmark baseline `authed-select`: the endpoint's work around the cache
 * (parsing, token, membership, key, headers) plus a raw primary-key select of
 * the key's row of `cache.entries` (no freshness or tag check). The L2 hit does
 * this with `cache.read` instead of the select. Never deployed.
 */
import { NotFoundError } from "../../../../shared/http/errors.ts";
import { authorize, respond, serve, sql } from "../_dataset_shell.ts";

interface Row {
  body: string;
  etag: string;
  created_at: Date;
  fresh_until: Date;
  expires_at: Date;
}

serve(async (request, shellHeaders, log) => {
  const read = await authorize(request, log);
  const [row] = await sql<Row[]>`
    select body, etag, created_at, fresh_until, expires_at from cache.entries where key = ${read.key}`;
  if (!row) throw new NotFoundError(`No row for ${read.key}`);
  return respond(
    request,
    {
      key: read.key,
      organizationId: read.target.organizationId,
      dataset: read.target.dataset,
      body: row.body,
      etag: row.etag,
      tagVersions: {},
      generatedAt: row.created_at.getTime(),
      freshUntil: row.fresh_until.getTime(),
      expiresAt: row.expires_at.getTime(),
    },
    "HIT",
    shellHeaders(),
    log,
  );
});
