import type { Sql } from "postgres";
import type { TokenVerifier } from "../auth/token_verifier.ts";
import type { CommittedBroadcast } from "./broadcast_reader.ts";
import { type ReadPolicies, readPolicies } from "./channel_authorization.ts";
import type { PhoenixMessage } from "./protocol.ts";
import type { SubscriptionRegistry } from "./subscription_registry.ts";
import { confirmToken } from "./token_errors.ts";

/** What a channel needs from its connection and server. */
export interface ChannelContext {
  readonly sql: Sql;
  readonly verifier: TokenVerifier;
  readonly registry: SubscriptionRegistry;
  /** Upper bound between token re-checks (Realtime: 5 min, `@confirm_token_ms_interval`). */
  readonly confirmTokenIntervalMs: number;
  /** Headers of the websocket upgrade, for `request.headers`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Sends a message on the socket. */
  readonly push: (message: PhoenixMessage) => void;
  /** Sends a broadcast of this channel's topic on the socket. */
  readonly pushBroadcast: (topic: string, broadcast: CommittedBroadcast) => void;
  /** Called once the channel stopped (shutdown or leave). */
  readonly onStopped: (channel: RealtimeChannel) => void;
}

/** Reply to a join: ok with Realtime's join reply, or error with a reason. */
export type JoinOutcome =
  | { readonly ok: true; readonly response: { postgres_changes: unknown[] } }
  | { readonly ok: false; readonly reason: string };

/**
 * One joined `realtime:<topic>` channel of a socket: joins as
 * supabase/realtime `lib/realtime_web/channels/realtime_channel.ex` `join/3`
 * (token confirmed, private topics authorized by RLS, refused joins with the
 * upstream reason), re-checks its token on a timer no later than its expiry
 * (`handle_info(:confirm_token)`), takes new tokens (`handle_in("access_token")`),
 * and stops with a `system` message and `phx_close` (`shutdown_response/2`).
 */
export class RealtimeChannel {
  private claims: Record<string, unknown> = {};
  private policies: ReadPolicies | undefined;
  private confirmTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  private constructor(
    private readonly context: ChannelContext,
    /** `realtime:<subTopic>` */
    readonly topic: string,
    readonly subTopic: string,
    readonly joinRef: string | null,
    readonly isPrivate: boolean,
    private readonly presenceEnabled: boolean,
    private accessToken: string,
  ) {}

  /** Joins; on success the channel is registered and returned with the reply. */
  static async join(
    context: ChannelContext,
    message: PhoenixMessage,
    tenantToken: string,
  ): Promise<{ outcome: JoinOutcome; channel?: RealtimeChannel }> {
    const subTopic = message.topic.slice("realtime:".length);
    if (subTopic === "") {
      return { outcome: { ok: false, reason: "TopicNameRequired: You must provide a topic name" } };
    }
    const params = isRecord(message.payload) ? message.payload : {};
    const config = isRecord(params.config) ? params.config : {};
    const presence = isRecord(config.presence) ? config.presence : {};
    const offered = typeof params.access_token === "string"
      ? params.access_token
      : typeof params.user_token === "string"
      ? params.user_token
      : undefined;
    const token = offered && !offered.startsWith("sb_") ? offered : tenantToken;
    const channel = new RealtimeChannel(
      context,
      message.topic,
      subTopic,
      message.joinRef,
      config.private === true,
      presence.enabled === true,
      token,
    );
    const refusal = await channel.authorize();
    if (refusal) {
      channel.stop();
      return { outcome: { ok: false, reason: refusal.joinReason } };
    }
    context.registry.add(subTopic, channel.isPrivate, channel);
    return { outcome: { ok: true, response: { postgres_changes: [] } }, channel };
  }

  /** Delivers a committed broadcast unless broadcast read was refused. */
  deliver(broadcast: CommittedBroadcast): void {
    if (this.stopped || this.policies?.broadcast === false) return;
    this.context.pushBroadcast(this.topic, broadcast);
  }

  /** Takes a refreshed token; keeps the subscription when it still authorizes. */
  async refreshToken(payload: unknown): Promise<void> {
    const token = isRecord(payload) ? payload.access_token : undefined;
    if (typeof token !== "string" || token.startsWith("sb_") || token === this.accessToken) return;
    this.accessToken = token;
    const previous = this.policies;
    const refusal = await this.authorize();
    if (refusal) return this.shutdown(refusal.message);
    if (
      previous && this.policies &&
      ((previous.broadcast && this.policies.broadcast === false) ||
        (previous.presence && this.policies.presence === false))
    ) {
      return this.shutdown(
        `You no longer have permission to read from this Channel topic: ${this.subTopic}`,
      );
    }
  }

  /** Leaves (client `phx_leave`): unregistered, no close message. */
  leave(): void {
    this.stop();
  }

  /** Stops when the socket closes. */
  dispose(): void {
    this.stop();
  }

  /**
   * Confirms the current token and (private topics) the read policies; schedules
   * the next confirmation. Returns the refusal, if any.
   */
  private async authorize(): Promise<{ joinReason: string; message: string } | undefined> {
    const confirmed = confirmToken(await this.context.verifier.verify(this.accessToken));
    if (!confirmed.ok) return confirmed;
    this.claims = confirmed.claims;
    this.scheduleConfirm(confirmed.exp);
    if (!this.isPrivate) {
      this.policies = undefined;
      return undefined;
    }
    const check = await readPolicies(this.context.sql, {
      topic: this.subTopic,
      claims: this.claims,
      headers: this.context.headers,
    }, this.presenceEnabled ? ["broadcast", "presence"] : ["broadcast"]);
    const unauthorized =
      `You do not have permissions to read from this Channel topic: ${this.subTopic}`;
    if (!check.ok) {
      return check.reason === "missing_partition"
        ? {
          joinReason:
            "MissingPartition: Realtime was unable to find the expected messages partition",
          message: "Realtime was unable to connect to the project database",
        }
        : { joinReason: `Unauthorized: ${unauthorized}`, message: unauthorized };
    }
    this.policies = check.policies;
    if (!check.policies.broadcast && !check.policies.presence) {
      return { joinReason: `Unauthorized: ${unauthorized}`, message: unauthorized };
    }
    return undefined;
  }

  private scheduleConfirm(exp: number): void {
    clearTimeout(this.confirmTimer);
    const untilExpiry = Math.max(0, exp * 1000 - Date.now());
    this.confirmTimer = setTimeout(
      () => void this.confirm(),
      Math.min(this.context.confirmTokenIntervalMs, untilExpiry),
    );
  }

  private async confirm(): Promise<void> {
    if (this.stopped) return;
    const confirmed = confirmToken(await this.context.verifier.verify(this.accessToken));
    if (!confirmed.ok) return this.shutdown(confirmed.message);
    this.scheduleConfirm(confirmed.exp);
  }

  /** `shutdown_response/2`: a `system` error message, then `phx_close`. */
  private shutdown(message: string): void {
    if (this.stopped) return;
    this.context.push({
      joinRef: this.joinRef,
      ref: null,
      topic: this.topic,
      event: "system",
      payload: { extension: "system", status: "error", message, channel: this.subTopic },
    });
    this.context.push({
      joinRef: this.joinRef,
      ref: this.joinRef,
      topic: this.topic,
      event: "phx_close",
      payload: {},
    });
    this.stop();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.confirmTimer);
    this.context.registry.remove(this.subTopic, this.isPrivate, this);
    this.context.onStopped(this);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
