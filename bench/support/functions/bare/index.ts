/**
 * Benchmark baseline `bare`: a `Deno.serve` that answers every request with the
 * bytes of `BENCH_BODY_FILE` (read once at start), as `application/json`. It does
 * no authentication, no cache lookup and no database work: the floor a cached
 * read is compared with. Run by bench/cache_read_bench.ts, never deployed.
 */
const path = Deno.env.get("BENCH_BODY_FILE");
if (!path) throw new Error("bare: set BENCH_BODY_FILE to the file whose bytes to serve");
const body = Deno.readFileSync(path);

Deno.serve(() =>
  new Response(body, { headers: { "Content-Type": "application/json; charset=utf-8" } })
);
