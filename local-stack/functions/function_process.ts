import { join } from "node:path";
import { freePort } from "../free_port.ts";
import { repoRoot } from "../paths.ts";
import type { FunctionDefinition } from "../project_config.ts";

const READY_MARKER = "nightshift-function-ready";
const hostScript = join(repoRoot, "local-stack", "functions", "host.ts");

/** The variables a Deno process needs to find its cache and tools; never project secrets. */
function runtimeEnv(): Record<string, string> {
  const names = ["PATH", "HOME", "DENO_DIR", "TMPDIR", "NO_COLOR"];
  return Object.fromEntries(
    names.flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** The message V8 prints when an isolate reaches its heap limit. */
const OUT_OF_MEMORY = /Fatal JavaScript out of memory|Reached heap limit/;

/** Thrown when a function process exits before it serves. */
export class FunctionStartError extends Error {
  override name = "FunctionStartError";
}

/** How long a stopped function process may take to exit before SIGKILL, ms. */
const STOP_GRACE_MS = 2_000;

/**
 * One edge function running in a Deno process of its own (an "isolate"),
 * listening on a private port that only the gateway calls.
 */
export class FunctionProcess {
  private child: Deno.ChildProcess | undefined;
  private exited = true;
  private outOfMemory = false;
  private stderrDrained: Promise<void> = Promise.resolve();
  private restarting: Promise<void> | undefined;
  readonly port: number = freePort();

  constructor(
    readonly definition: FunctionDefinition,
    private readonly env: Record<string, string>,
    private readonly label: string = definition.name,
    /**
     * V8 heap limit of the process in MB (`--max-old-space-size`), standing in for
     * the Edge Runtime's per-worker memory limit (hosted: 256 MB). @default none
     */
    readonly memoryLimitMb?: number,
    /**
     * Where the process's stdout (its info and debug lines) goes: `"inherit"` (ours),
     * or `"null"` where nobody reads them, as the benchmarks, whose functions write
     * one line per request (hundreds of thousands a run), so the lines cost the
     * function the same and flood no terminal. @default "inherit"
     */
    readonly stdout: "inherit" | "null" = "inherit",
  ) {}

  /** The OS process id while the process runs (benchmarks and the gateway's CPU limit read its CPU time). */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.child !== undefined && !this.exited;
  }

  /** True when the process died because its heap reached `memoryLimitMb`. */
  get diedOfMemoryLimit(): boolean {
    return this.exited && this.outOfMemory;
  }

  /** Base URL of the process (no path). */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Spawns the process and resolves once its handler listens. */
  async start(timeoutMs = 60_000): Promise<void> {
    this.child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        "--no-prompt",
        ...(this.memoryLimitMb ? [`--v8-flags=--max-old-space-size=${this.memoryLimitMb}`] : []),
        `--config=${join(repoRoot, "deno.json")}`,
        hostScript,
        this.definition.entrypoint,
      ],
      env: { ...runtimeEnv(), ...this.env, NIGHTSHIFT_FUNCTION_PORT: String(this.port) },
      clearEnv: true,
      // stdout (one JSON line per request at LOG_LEVEL=info) goes straight to ours, as
      // the Edge Runtime collects a function's console itself: read here line by line
      // and written again, it cost this process as much CPU as the function spent
      // logging, on the same cores (a local-harness cost the hosted platform has not).
      // Every JSON line names its function (`logger`). stderr (warnings, errors,
      // the ready marker) is read and labelled.
      stdout: this.stdout,
      stderr: "piped",
    }).spawn();
    this.exited = false;
    this.outOfMemory = false;
    const child = this.child;
    child.status.then(() => {
      if (this.child === child) this.exited = true;
    });
    const ready = Promise.withResolvers<void>();
    this.stderrDrained = this.pipeLines(this.child.stderr, (line) => {
      if (line === `${READY_MARKER} ${this.port}`) return ready.resolve();
      if (OUT_OF_MEMORY.test(line)) this.outOfMemory = true;
      console.error(`[${this.label}] ${line}`);
    });
    this.child.status.then((status) =>
      ready.reject(new FunctionStartError(`Function ${this.label} exited with code ${status.code}`))
    );
    const timer = setTimeout(
      () => ready.reject(new FunctionStartError(`Function ${this.label} did not start in time`)),
      timeoutMs,
    );
    try {
      await ready.promise;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * After a call to the process failed: waits up to `waitMs` for it to exit and
   * its stderr to drain, and tells whether it died of its memory limit.
   */
  async diedOfMemoryLimitWithin(waitMs = 2000): Promise<boolean> {
    const child = this.child;
    if (!child) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      child.status.then(() => this.stderrDrained).then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
    ]);
    clearTimeout(timer);
    return exited && this.outOfMemory;
  }

  /**
   * Starts the process again after it died or must die (one restart at a time);
   * `signal` stops the old one (SIGKILL for one that may be spinning).
   */
  restart(signal: Deno.Signal = "SIGTERM"): Promise<void> {
    this.restarting ??= this.stop(signal).then(() => this.start()).finally(() => {
      this.restarting = undefined;
    });
    return this.restarting;
  }

  /**
   * Stops the process with `signal` and waits for it to exit; SIGKILL after
   * {@linkcode STOP_GRACE_MS} when it has not: the host's SIGTERM handler (which
   * writes queued console lines) runs only between tasks, so a function spinning in
   * JavaScript (e.g. one the wall clock cut off) would otherwise never exit.
   */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child) return;
    const kill = (s: Deno.Signal) => {
      try {
        child.kill(s);
      } catch {
        // already exited
      }
    };
    kill(signal);
    const grace = setTimeout(() => kill("SIGKILL"), STOP_GRACE_MS);
    try {
      await child.status;
    } finally {
      clearTimeout(grace);
    }
    this.child = undefined;
  }

  private async pipeLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
    let buffered = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      lines.forEach(onLine);
    }
    if (buffered) onLine(buffered);
  }
}
