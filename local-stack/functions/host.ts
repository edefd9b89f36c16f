/**
 * Runs one edge function in its own process, as the edge runtime runs it in an
 * isolate: the function's module calls `Deno.serve(handler)`; this host binds
 * that handler to the port the gateway chose and provides `EdgeRuntime.waitUntil`
 * and the runtime's console (one hand-off per call, no write per line).
 *
 * Usage: deno run ... local-stack/functions/host.ts <entrypoint>
 * Env: NIGHTSHIFT_FUNCTION_PORT (required).
 */
import { pathToFileURL } from "node:url";
import { installConsoleRelay } from "./console_relay.ts";

const READY_MARKER = "nightshift-function-ready";
const entrypoint = Deno.args[0];
const port = Number(Deno.env.get("NIGHTSHIFT_FUNCTION_PORT"));
if (!entrypoint || !Number.isInteger(port) || port <= 0) {
  console.error("Usage: host.ts <entrypoint> with NIGHTSHIFT_FUNCTION_PORT set");
  Deno.exit(2);
}

// The Edge Runtime's console for user workers (see console_relay.ts), before the
// function's module (and its logging) loads.
installConsoleRelay();

const pending = new Set<Promise<unknown>>();
Object.defineProperty(globalThis, "EdgeRuntime", {
  value: {
    /** Keeps background work alive after the response, like Supabase's edge runtime. */
    waitUntil(promise: Promise<unknown>): void {
      const tracked = Promise.resolve(promise).catch((error) => {
        console.error("EdgeRuntime.waitUntil task failed:", error);
      }).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
  },
});

const serve = Deno.serve;
let served = false;
// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: unknown[]) => {
  if (served) throw new Error("A function may call Deno.serve only once");
  served = true;
  const handler = args.find((arg) => typeof arg === "function") ??
    (args[0] as { handler?: unknown } | undefined)?.handler;
  if (typeof handler !== "function") throw new Error("Deno.serve needs a handler");
  return serve({
    hostname: "127.0.0.1",
    port,
    // On stderr: the function's stdout is the parent's own (see function_process.ts).
    onListen: () => console.error(`${READY_MARKER} ${port}`),
  }, handler as Deno.ServeHandler);
};

await import(pathToFileURL(entrypoint).href);
if (!served) {
  console.error(`The function at ${entrypoint} did not call Deno.serve`);
  Deno.exit(1);
}
