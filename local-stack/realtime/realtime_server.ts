import type { Sql } from "postgres";
import type { TokenVerifier } from "../auth/token_verifier.ts";
import { legacyKeyFor } from "../keys.ts";
import { BroadcastReader } from "./broadcast_reader.ts";
import { protocolVersion } from "./protocol.ts";
import { RealtimeConnection } from "./realtime_connection.ts";
import { SubscriptionRegistry } from "./subscription_registry.ts";
import { connectErrorMessage } from "./token_errors.ts";

/** Settings of the Realtime emulation. */
export interface RealtimeServerOptions {
  /** Pool for authorization checks (a role that may insert into realtime.messages and switch role). */
  readonly sql: Sql;
  /** URL of a role with REPLICATION, for the broadcast reader. */
  readonly replicationUrl: string;
  /** Verifies connect and join tokens. */
  readonly verifier: TokenVerifier;
  /** Idle socket timeout in ms (Phoenix's websocket `timeout`). @default 60000 */
  readonly idleTimeoutMs?: number;
  /** Longest time between token re-checks, ms (Realtime: 5 min). @default 300000 */
  readonly confirmTokenIntervalMs?: number;
}

/**
 * The local stand-in for Supabase Realtime's Broadcast: serves the websocket at
 * `/realtime/v1/websocket` (through the gateway) and delivers committed
 * `realtime.send` messages to joined channels in commit order.
 */
export class RealtimeServer {
  readonly registry = new SubscriptionRegistry();
  private readonly reader: BroadcastReader;
  private readonly connections = new Set<RealtimeConnection>();

  constructor(private readonly options: RealtimeServerOptions) {
    this.reader = new BroadcastReader(
      options.replicationUrl,
      (broadcast) => this.registry.dispatch(broadcast),
    );
  }

  /** Starts reading committed broadcasts. */
  async start(): Promise<void> {
    await this.reader.start();
  }

  /** Closes every socket and stops the reader. */
  async stop(): Promise<void> {
    for (const connection of this.connections) connection.close(1001, "server shutdown");
    this.connections.clear();
    await this.reader.stop();
  }

  /**
   * Upgrades `GET /realtime/v1/websocket?apikey=…&vsn=…` after checking the
   * connect token as supabase/realtime `user_socket.ex` `connect/3` does
   * (`x-api-key` header or `apikey` parameter; refused with 401
   * `{"error": "…"}`). New API keys stand for the legacy ones, as the CLI's proxy maps them.
   */
  async handleUpgrade(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Bad Request", { status: 400 });
    }
    const url = new URL(request.url);
    const version = protocolVersion(url.searchParams.get("vsn"));
    if (!version) return new Response("Bad Request", { status: 400 });
    const apikey = request.headers.get("x-api-key") ?? url.searchParams.get("apikey");
    if (!apikey) return Response.json({ error: "API key is missing" }, { status: 401 });
    const tenantToken = legacyKeyFor(apikey);
    const refusal = connectErrorMessage(await this.options.verifier.verify(tenantToken));
    if (refusal) return Response.json({ error: refusal }, { status: 401 });
    // Headers cannot be read once the request is upgraded.
    const headers = Object.fromEntries(
      [...request.headers].filter(([name]) => name.startsWith("x-")),
    );
    const { socket, response } = Deno.upgradeWebSocket(request);
    const connection = new RealtimeConnection(socket, {
      version,
      tenantToken,
      sql: this.options.sql,
      verifier: this.options.verifier,
      registry: this.registry,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 60_000,
      confirmTokenIntervalMs: this.options.confirmTokenIntervalMs ?? 300_000,
      headers,
    });
    this.connections.add(connection);
    socket.addEventListener("close", () => this.connections.delete(connection));
    return response;
  }
}
