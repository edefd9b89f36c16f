/**
 * Benchmark baseline `uncached`: the endpoint with no cache at all (what its
 * kill switch does): parse, verify, check membership, compute as the caller
 * under RLS, serialize, answer. The Zipf workload counts the SQL statements of
 * this mode against the cached endpoint's. Never deployed.
 */
import { authorize, computeEntry, respond, serve } from "../_dataset_shell.ts";

serve(async (request, shellHeaders, log) => {
  const read = await authorize(request, log);
  return respond(request, await computeEntry(read), "MISS", shellHeaders(), log);
});
