/**
 * Listens on an organization's private Realtime channel
 * (`cache-invalidation:<org>`, event `cache_invalidation`) and applies each
 * notice to a QueryClient through {@linkcode InvalidationRouter}. Every
 * (re)subscription invalidates the organization's queries, since broadcasts
 * sent while not subscribed are lost (Realtime broadcast has no replay).
 *
 * @module
 */
import type { RealtimeChannel } from "@supabase/supabase-js";
import type { QueryClient } from "@tanstack/query-core";
import {
  INVALIDATION_EVENT,
  invalidationTopic,
} from "../../shared/invalidation/invalidation_notice.ts";
import { InvalidationRouter, type NoticeOutcome } from "./invalidation_router.ts";
import type { NightshiftClient } from "./nightshift_client.ts";

/** Channel states as supabase-js reports them to `subscribe`. */
export type ListenerStatus =
  | "SUBSCRIBED"
  | "TIMED_OUT"
  | "CLOSED"
  | "CHANNEL_ERROR";

/** Options of {@linkcode listenForInvalidations}. */
export interface InvalidationListenerOptions {
  /** The client whose supabase-js session subscribes, and whose reads follow notices. */
  readonly client: NightshiftClient;
  readonly queryClient: QueryClient;
  readonly organizationId: string;
  /** Called after each notice was applied (or ignored). */
  readonly onNotice?: (outcome: NoticeOutcome) => void;
  /** Called on every channel state change (errors carry the cause). */
  readonly onStatus?: (status: ListenerStatus, error?: Error) => void;
}

/** A running listener. */
export interface InvalidationListener {
  readonly channel: RealtimeChannel;
  /** Leaves the channel. */
  stop(): Promise<void>;
}

/**
 * Subscribes to the organization's invalidation notices. The user must be
 * signed in (private channels are authorized with the user's token; supabase-js
 * keeps Realtime's token in step with the session as it refreshes).
 */
export async function listenForInvalidations(
  options: InvalidationListenerOptions,
): Promise<InvalidationListener> {
  const { client, queryClient, organizationId } = options;
  const supabase = client.supabase;
  const router = new InvalidationRouter(queryClient, organizationId, client);
  await supabase.realtime.setAuth();
  const channel = supabase.channel(
    invalidationTopic(organizationId.toLowerCase()),
    {
      config: { private: true },
    },
  );
  channel.on("broadcast", { event: INVALIDATION_EVENT }, (message) => {
    router.handle(message.payload).then(
      (outcome) => options.onNotice?.(outcome),
      (error) => options.onStatus?.("CHANNEL_ERROR", error as Error),
    );
  });
  channel.subscribe((status, error) => {
    options.onStatus?.(status as ListenerStatus, error);
    if (status === "SUBSCRIBED") {
      router.resubscribed().catch((failure) =>
        options.onStatus?.("CHANNEL_ERROR", failure as Error)
      );
    }
  });
  return {
    channel,
    stop: async () => {
      await supabase.removeChannel(channel);
    },
  };
}
