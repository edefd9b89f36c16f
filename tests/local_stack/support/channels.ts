import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";

/** A broadcast as supabase-js hands it to a `broadcast` listener. */
export interface ReceivedBroadcast {
  readonly event: string;
  readonly payload: Record<string, unknown>;
  readonly meta?: { readonly id?: string };
}

/** A subscribed channel with what it received and the statuses it went through. */
export interface WatchedChannel {
  readonly channel: RealtimeChannel;
  readonly received: ReceivedBroadcast[];
  readonly statuses: string[];
  readonly systemMessages: Record<string, unknown>[];
}

/**
 * Subscribes to a private channel and resolves with the first terminal status
 * (`SUBSCRIBED`, `CHANNEL_ERROR`, `TIMED_OUT`) and its error.
 */
export async function subscribePrivate(
  supabase: SupabaseClient,
  topic: string,
  event = "cache_invalidation",
): Promise<{ watched: WatchedChannel; status: string; error?: Error }> {
  const received: ReceivedBroadcast[] = [];
  const statuses: string[] = [];
  const systemMessages: Record<string, unknown>[] = [];
  const channel = supabase.channel(topic, { config: { private: true } })
    .on("broadcast", { event }, (message) => received.push(message as unknown as ReceivedBroadcast))
    .on("system", {}, (message) => systemMessages.push(message));
  const first = Promise.withResolvers<{ status: string; error?: Error }>();
  channel.subscribe((status, error) => {
    statuses.push(status);
    first.resolve(error ? { status, error } : { status });
  });
  const outcome = await first.promise;
  return { watched: { channel, received, statuses, systemMessages }, ...outcome };
}
