import type { CommittedBroadcast } from "./broadcast_reader.ts";
import { type ChannelContext, RealtimeChannel } from "./realtime_channel.ts";
import {
  decodeMessage,
  encodeBroadcast,
  encodeMessage,
  type PhoenixMessage,
  ProtocolError,
  type ProtocolVersion,
  reply,
} from "./protocol.ts";

/** Settings of one websocket connection. */
export interface ConnectionSettings
  extends Omit<ChannelContext, "push" | "pushBroadcast" | "onStopped"> {
  readonly version: ProtocolVersion;
  /** The connect token (the `apikey`, as a JWT) used when a join carries none. */
  readonly tenantToken: string;
  /**
   * Closes the socket when no frame arrives for this long (Phoenix websocket
   * transport's `timeout`, 60 s by default); heartbeats keep it open.
   */
  readonly idleTimeoutMs: number;
}

/**
 * One client socket of the Realtime emulation: decodes frames, answers
 * heartbeats on `phoenix`, routes `phx_join` / `phx_leave` / `access_token` to
 * channels, and closes after `idleTimeoutMs` without a frame. Frames of one
 * socket are handled one after another, as a Phoenix channel process does.
 */
export class RealtimeConnection {
  private readonly channels = new Map<string, RealtimeChannel>();
  private queue: Promise<void> = Promise.resolve();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly socket: WebSocket, private readonly settings: ConnectionSettings) {
    socket.binaryType = "arraybuffer";
    socket.onopen = () => this.touch();
    socket.onmessage = (event) => {
      this.touch();
      if (typeof event.data !== "string") return; // client binary pushes are not served
      const frame = event.data;
      this.queue = this.queue.then(() => this.handle(frame)).catch((error) => {
        console.error("[realtime] failed to handle a frame:", error);
      });
    };
    socket.onclose = () => this.dispose();
    socket.onerror = () => {};
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(
      () => this.close(1000, "idle timeout"),
      this.settings.idleTimeoutMs,
    );
  }

  private async handle(frame: string): Promise<void> {
    let message: PhoenixMessage;
    try {
      message = decodeMessage(this.settings.version, frame);
    } catch (error) {
      if (error instanceof ProtocolError) return this.close(1003, error.message);
      throw error;
    }
    if (message.topic === "phoenix" && message.event === "heartbeat") {
      return this.send(reply(message, "ok", {}));
    }
    if (message.event === "phx_join") return await this.join(message);
    const channel = this.channels.get(message.topic);
    if (!channel) return this.send(reply(message, "error", { reason: "unmatched topic" }));
    switch (message.event) {
      case "phx_leave":
        this.send(reply(message, "ok", {}));
        return channel.leave();
      case "access_token":
        return await channel.refreshToken(message.payload);
      default:
        return; // broadcast / presence from clients: not emulated (Realtime logs and ignores unknown types)
    }
  }

  private async join(message: PhoenixMessage): Promise<void> {
    if (!message.topic.startsWith("realtime:")) {
      return this.send(reply(message, "error", { reason: "unmatched topic" }));
    }
    this.channels.get(message.topic)?.leave();
    const { outcome, channel } = await RealtimeChannel.join(
      {
        ...this.settings,
        push: (pushed) => this.send(pushed),
        pushBroadcast: (topic, broadcast) => this.sendBroadcast(topic, broadcast),
        onStopped: (stopped) => {
          if (this.channels.get(stopped.topic) === stopped) this.channels.delete(stopped.topic);
        },
      },
      message,
      this.settings.tenantToken,
    );
    if (channel) this.channels.set(message.topic, channel);
    this.send(
      outcome.ok
        ? reply(message, "ok", outcome.response)
        : reply(message, "error", { reason: outcome.reason }),
    );
  }

  private send(message: PhoenixMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(encodeMessage(this.settings.version, message));
    }
  }

  private sendBroadcast(topic: string, broadcast: CommittedBroadcast): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(encodeBroadcast(this.settings.version, {
      topic,
      event: broadcast.event,
      payloadJson: broadcast.payloadJson,
      meta: { id: broadcast.id },
    }));
  }

  /** Closes the socket (and with it every channel). */
  close(code = 1000, reason = ""): void {
    this.dispose();
    try {
      this.socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  private dispose(): void {
    clearTimeout(this.idleTimer);
    for (const channel of [...this.channels.values()]) channel.dispose();
    this.channels.clear();
  }
}
