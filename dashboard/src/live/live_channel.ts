/**
 * Live updates: the organization's private Realtime channel
 * `cache-invalidation:<organization id>` (event `cache_invalidation`). Every
 * notice refreshes the organization's queries at once (polling every 30 s
 * covers the rest, and everything when Realtime is unavailable).
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { type LiveNoticeV1, readNotice } from "./notice.ts";

/** A v1 notice (shared/invalidation/invalidation_notice.ts) and when it arrived. */
export interface LiveNotice {
  readonly receivedAt: string;
  readonly notice: LiveNoticeV1;
}

export type ChannelState = "off" | "connecting" | "subscribed" | "unavailable";

export interface LiveState {
  readonly channel: ChannelState;
  readonly notices: readonly LiveNotice[];
}

/** Subscribes while `organizationId` is set; refreshes `["org", id]` queries on each notice. */
export function useLiveChannel(
  supabase: SupabaseClient,
  token: string,
  organizationId: string | null,
  enabled: boolean,
): LiveState {
  const queryClient = useQueryClient();
  const [channelState, setChannelState] = useState<ChannelState>("off");
  const [notices, setNotices] = useState<LiveNotice[]>([]);

  useEffect(() => {
    if (!enabled || !organizationId) {
      setChannelState("off");
      return;
    }
    let active = true;
    // Realtime may deliver a notice twice (reconnects); `seq` is monotonic per organization.
    const seen = new Set<number>();
    setChannelState("connecting");
    supabase.realtime.setAuth(token);
    const channel = supabase.channel(`cache-invalidation:${organizationId}`, {
      config: { private: true },
    });
    channel
      .on("broadcast", { event: "cache_invalidation" }, (message) => {
        if (!active) return;
        const notice = readNotice(message.payload, organizationId);
        if (!notice || seen.has(notice.seq)) return;
        seen.add(notice.seq);
        setNotices((
          previous,
        ) => [{ receivedAt: new Date().toISOString(), notice }, ...previous].slice(0, 50));
        queryClient.invalidateQueries({ queryKey: ["org", organizationId] });
      })
      .subscribe((status) => {
        if (!active) return;
        setChannelState(
          status === "SUBSCRIBED"
            ? "subscribed"
            : status === "CLOSED"
            ? "off"
            : status === "CHANNEL_ERROR" || status === "TIMED_OUT"
            ? "unavailable"
            : "connecting",
        );
      });
    return () => {
      active = false;
      supabase.removeChannel(channel);
    };
  }, [supabase, token, organizationId, enabled, queryClient]);

  return { channel: channelState, notices };
}
