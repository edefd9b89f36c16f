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

/** Thrown when a function process exits before it serves. */
export class FunctionStartError extends Error {
  override name = "FunctionStartError";
}

/**
 * One edge function running in a Deno process of its own (an "isolate"),
 * listening on a private port that only the gateway calls.
 */
export class FunctionProcess {
  private child: Deno.ChildProcess | undefined;
  readonly port: number = freePort();

  constructor(
    readonly definition: FunctionDefinition,
    private readonly env: Record<string, string>,
    private readonly label: string = definition.name,
  ) {}

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
        `--config=${join(repoRoot, "deno.json")}`,
        hostScript,
        this.definition.entrypoint,
      ],
      env: { ...runtimeEnv(), ...this.env, NIGHTSHIFT_FUNCTION_PORT: String(this.port) },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const ready = Promise.withResolvers<void>();
    this.pipeLines(this.child.stdout, (line) => {
      if (line === `${READY_MARKER} ${this.port}`) ready.resolve();
      else console.log(`[${this.label}] ${line}`);
    });
    this.pipeLines(this.child.stderr, (line) => console.error(`[${this.label}] ${line}`));
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

  /** Stops the process and waits for it to exit. */
  async stop(): Promise<void> {
    if (!this.child) return;
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await this.child.status;
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
