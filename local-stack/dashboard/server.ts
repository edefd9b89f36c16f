/**
 * Serves the built dashboard (`dashboard/dist/`) as static files, as any static
 * host would, plus `/config.js` naming the local project: its URL, its
 * publishable key (`sb_publishable_…`; supabase-js sends it as `apikey`, the
 * gateway stands it in for the anon JWT), and whether the gateway serves Realtime (probed, so
 * the page does not try a websocket the stack does not have).
 *
 * @module
 */
import { extname, join, normalize } from "node:path";
import { dashboardDist } from "./build.ts";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** Where the dashboard runs and which project it talks to. */
export interface DashboardServerOptions {
  readonly port: number;
  /** The project URL (the gateway), e.g. `http://127.0.0.1:54321`. */
  readonly apiUrl: string;
  readonly publishableKey: string;
  /** @default {dashboardDist} */
  readonly root?: string;
}

/**
 * True when the gateway serves Realtime's websocket path: a plain GET (no
 * upgrade) is refused there with a 4xx (400 from the local Realtime); 404 means
 * no Realtime, and a 5xx or no answer is treated as unavailable too.
 */
async function realtimeServed(apiUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${apiUrl}/realtime/v1/websocket?vsn=1.0.0`, {
      signal: AbortSignal.timeout(2_000),
    });
    await response.body?.cancel();
    return response.status !== 404 && response.status < 500;
  } catch {
    return false;
  }
}

/** Starts the server on 127.0.0.1; stop it with `shutdown()`. */
export function startDashboardServer(
  options: DashboardServerOptions,
): Deno.HttpServer<Deno.NetAddr> {
  const root = options.root ?? dashboardDist;
  return Deno.serve(
    { hostname: "127.0.0.1", port: options.port, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      if (request.method !== "GET" && request.method !== "HEAD") {
        return new Response("Method not allowed", { status: 405, headers: { Allow: "GET, HEAD" } });
      }
      if (url.pathname === "/config.js") {
        const config = {
          supabaseUrl: options.apiUrl,
          publishableKey: options.publishableKey,
          realtime: await realtimeServed(options.apiUrl),
        };
        return new Response(`window.NIGHTSHIFT_CONFIG = ${JSON.stringify(config)};\n`, {
          headers: { "Content-Type": CONTENT_TYPES[".js"]!, "Cache-Control": "no-store" },
        });
      }
      let relative: string;
      try {
        relative = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.(\/|$))+/, "");
      } catch {
        return new Response("Bad request: malformed path", { status: 400 });
      }
      const path = join(root, relative === "/" ? "index.html" : relative);
      if (!path.startsWith(root)) return new Response("Not found", { status: 404 });
      try {
        const body = await Deno.readFile(path);
        return new Response(request.method === "HEAD" ? null : body, {
          headers: {
            "Content-Type": CONTENT_TYPES[extname(path)] ?? "application/octet-stream",
            // Hashed asset names never change; index.html must be revalidated.
            "Cache-Control": path.includes("/assets/")
              ? "public, max-age=31536000, immutable"
              : "no-cache",
          },
        });
      } catch {
        return new Response("Not found", { status: 404 });
      }
    },
  );
}
