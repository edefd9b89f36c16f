/** A request the receiver got, with its body read as text. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: string;
}

/** Options of a local HTTP receiver. */
export interface ReceiverOptions {
  /** Delay before answering, to provoke client timeouts. @default 0 */
  readonly delayMs?: number;
  /** Status answered. @default 200 */
  readonly status?: number;
  /**
   * Answers instead of `status`: called with each request and its index
   * (0-based) after `delayMs`.
   */
  readonly respond?: (request: ReceivedRequest, index: number) => Response;
}

/**
 * A real HTTP server on 127.0.0.1 that records what it receives: the far end
 * for pg_net and webhook tests. Close it with `await receiver.close()`.
 */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly server: Deno.HttpServer<Deno.NetAddr>;
  private waiters: Array<() => void> = [];

  constructor(private options: ReceiverOptions = {}) {
    this.server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const received = {
          method: req.method,
          url: new URL(req.url),
          headers: req.headers,
          body: await req.text(),
        };
        const index = this.requests.push(received) - 1;
        this.waiters.forEach((wake) => wake());
        if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
        if (this.options.respond) return this.options.respond(received, index);
        return Response.json({ received: true }, { status: this.options.status ?? 200 });
      },
    );
  }

  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}`;
  }

  /** Resolves once `count` requests arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(
          `Expected ${count} requests within ${timeoutMs} ms: received ${this.requests.length}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters = [];
    }
    return this.requests;
  }

  /** Stops the server. */
  async close(): Promise<void> {
    await this.server.shutdown();
  }
}
