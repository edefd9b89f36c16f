/**
 * The HTTP load generator of the benchmarks: `wrk` (Debian package), installed
 * on first use, driven by a generated Lua script. One thread, a fixed number of
 * keep-alive connections (closed loop: each connection sends its next request
 * when the previous answer is complete), a fixed duration; it stops by itself.
 * Loopback only: {@linkcode runWrk} refuses any other host.
 *
 * @module
 */
import { runCommand } from "../../local-stack/run_command.ts";

/** Which paths the requests of a run go to. */
export type RequestPaths =
  /** Round robin over fixed paths (path and query, each starting with `/`). */
  | { readonly kind: "rotate"; readonly paths: readonly string[] }
  /**
   * A path of its own for every request: `prefix + date + suffix`, the date
   * `firstDate` plus n days for the n-th request (n = 1, 2, …), YYYY-MM-DD.
   */
  | {
    readonly kind: "dated";
    readonly prefix: string;
    readonly suffix: string;
    readonly firstDate: string;
  };

/** One load run. */
export interface WrkOptions {
  /** `http://127.0.0.1:<port>`: the server under load. */
  readonly origin: string;
  readonly paths: RequestPaths;
  /** Concurrent keep-alive connections (requests in flight). */
  readonly connections: number;
  /** Whole seconds, 1 to 60 (wrk's resolution). */
  readonly durationSeconds: number;
  /** Sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A request taking longer counts as a timeout error. @default 10 */
  readonly timeoutSeconds?: number;
  /**
   * Send an `sb-request-id` of its own with every request (a UUID-shaped
   * counter), as hosted Supabase's API gateway does before a function sees the
   * request; the function then answers with it instead of making one. @default false
   */
  readonly requestIds?: boolean;
}

/** What a run measured. */
export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Response latency percentiles in milliseconds (send to last byte). */
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
  };
  /** Responses whose status was not 2xx or 3xx. */
  readonly non2xx: number;
  /** Connect, read, write errors and timeouts. */
  readonly socketErrors: number;
  /** Responses by their `X-Cache` header (`none`: absent). */
  readonly xCache: Readonly<Record<"HIT" | "MISS" | "STALE" | "none" | "other", number>>;
  readonly bytesRead: number;
}

async function wrkVersion(): Promise<string | undefined> {
  try {
    const output = await new Deno.Command("wrk", { args: ["-v"], stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(output.stdout) +
      new TextDecoder().decode(output.stderr);
    return text.split("\n")[0]?.trim() || "wrk";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Returns wrk's version line, installing the Debian package first when wrk is
 * missing (`apt-get install wrk`, after `apt-get update` if the first try fails).
 */
export async function ensureWrk(): Promise<string> {
  const found = await wrkVersion();
  if (found) return found;
  if (Deno.uid() !== 0) {
    throw new Error("wrk is not installed: install the Debian package first (apt-get install wrk)");
  }
  console.log("Installing wrk (apt-get install wrk)...");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const install = ["install", "-y", "--no-install-recommends", "wrk"];
  try {
    await runCommand("apt-get", install, { env });
  } catch {
    await runCommand("apt-get", ["update"], { env });
    await runCommand("apt-get", install, { env });
  }
  const installed = await wrkVersion();
  if (!installed) throw new Error("wrk is still missing after apt-get install wrk");
  return installed;
}

/** A Lua string literal of printable ASCII `text`. */
function luaString(text: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) {
    throw new Error(`wrk: only printable ASCII fits in the Lua script: ${text.slice(0, 80)}`);
  }
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

function luaScript(options: WrkOptions): string {
  const headers = Object.entries(options.headers ?? {})
    .map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`)
    .join("\n");
  let paths: string;
  if (options.paths.kind === "rotate") {
    if (options.paths.paths.length === 0) throw new Error("wrk: no paths to rotate over");
    paths = `local paths = { ${options.paths.paths.map(luaString).join(", ")} }
local function next_path(n) return paths[(n % #paths) + 1] end`;
  } else {
    const base = Date.parse(`${options.paths.firstDate}T00:00:00Z`) / 1000;
    if (!Number.isFinite(base)) throw new Error(`wrk: bad firstDate ${options.paths.firstDate}`);
    paths = `local prefix, suffix, base = ${luaString(options.paths.prefix)}, ${
      luaString(options.paths.suffix)
    }, ${base}
local function next_path(n) return prefix .. os.date("!%Y-%m-%d", base + n * 86400) .. suffix end`;
  }
  // One id per request, unique within the run (n counts this thread's requests).
  const requestId = options.requestIds
    ? `  wrk.headers["sb-request-id"] = string.format("00000000-0000-4000-8000-%012x", n)\n`
    : "";
  return `-- generated by bench/support/wrk.ts
${headers}
${paths}
n, hit, miss, stale, none, other = 0, 0, 0, 0, 0, 0
request = function()
  n = n + 1
${requestId}  return wrk.format("GET", next_path(n))
end
response = function(status, headers, body)
  local x = headers["x-cache"] or headers["X-Cache"]
  if x == nil then none = none + 1
  elseif x == "HIT" then hit = hit + 1
  elseif x == "MISS" then miss = miss + 1
  elseif x == "STALE" then stale = stale + 1
  else other = other + 1 end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local c = { hit = 0, miss = 0, stale = 0, none = 0, other = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(c) do c[k] = c[k] + t:get(k) end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50":%.1f,"p90":%.1f,"p95":%.1f,"p99":%.1f,"max":%.1f,"mean":%.1f,' ..
    '"HIT":%d,"MISS":%d,"STALE":%d,"none":%d,"other":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99),
    latency.max, latency.mean, c.hit, c.miss, c.stale, c.none, c.other))
end
`;
}

interface WrkJson {
  requests: number;
  duration_us: number;
  bytes: number;
  non2xx: number;
  socket_errors: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  HIT: number;
  MISS: number;
  STALE: number;
  none: number;
  other: number;
}

/** Runs wrk once (one thread) against a loopback server and returns its figures. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const origin = new URL(options.origin);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(origin.hostname)) {
    throw new Error(`wrk: refusing to load ${origin.host}: benchmarks stay on loopback`);
  }
  if (!Number.isInteger(options.connections) || options.connections < 1) {
    throw new Error(`wrk: connections must be a positive integer: ${options.connections}`);
  }
  if (
    !Number.isInteger(options.durationSeconds) || options.durationSeconds < 1 ||
    options.durationSeconds > 60
  ) {
    throw new Error(`wrk: duration must be 1 to 60 whole seconds: ${options.durationSeconds}`);
  }
  const script = await Deno.makeTempFile({ prefix: "nightshift-wrk-", suffix: ".lua" });
  try {
    await Deno.writeTextFile(script, luaScript(options));
    const stdout = await runCommand("wrk", [
      "-t1",
      `-c${options.connections}`,
      `-d${options.durationSeconds}s`,
      `--timeout`,
      `${options.timeoutSeconds ?? 10}s`,
      "-s",
      script,
      `${origin.origin}/`,
    ]);
    const line = stdout.split("\n").find((text) => text.startsWith("WRKJSON "));
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const raw = JSON.parse(line.slice("WRKJSON ".length)) as WrkJson;
    const seconds = raw.duration_us / 1e6;
    return {
      requests: raw.requests,
      seconds,
      requestsPerSecond: raw.requests / seconds,
      latencyMs: {
        p50: raw.p50 / 1000,
        p90: raw.p90 / 1000,
        p95: raw.p95 / 1000,
        p99: raw.p99 / 1000,
        max: raw.max / 1000,
        mean: raw.mean / 1000,
      },
      non2xx: raw.non2xx,
      socketErrors: raw.socket_errors,
      xCache: { HIT: raw.HIT, MISS: raw.MISS, STALE: raw.STALE, none: raw.none, other: raw.other },
      bytesRead: raw.bytes,
    };
  } finally {
    await Deno.remove(script).catch(() => {});
  }
}
