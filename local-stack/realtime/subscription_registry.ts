import type { CommittedBroadcast } from "./broadcast_reader.ts";

/** A joined channel that can receive database broadcasts. */
export interface BroadcastSubscriber {
  /** Delivers one committed broadcast to the channel. */
  deliver(broadcast: CommittedBroadcast): void;
}

/**
 * Joined channels by topic and privacy. As in Realtime (`Tenants.tenant_topic/3`),
 * a private message reaches only channels joined with `config.private`, a public
 * one only channels joined without it.
 */
export class SubscriptionRegistry {
  private readonly byKey = new Map<string, Set<BroadcastSubscriber>>();

  add(subTopic: string, isPrivate: boolean, subscriber: BroadcastSubscriber): void {
    const key = keyOf(subTopic, isPrivate);
    const set = this.byKey.get(key) ?? new Set();
    set.add(subscriber);
    this.byKey.set(key, set);
  }

  remove(subTopic: string, isPrivate: boolean, subscriber: BroadcastSubscriber): void {
    const key = keyOf(subTopic, isPrivate);
    const set = this.byKey.get(key);
    set?.delete(subscriber);
    if (set?.size === 0) this.byKey.delete(key);
  }

  /** Hands a broadcast to every channel of its topic and privacy, in arrival order. */
  dispatch(broadcast: CommittedBroadcast): void {
    for (const subscriber of this.byKey.get(keyOf(broadcast.topic, broadcast.private)) ?? []) {
      subscriber.deliver(broadcast);
    }
  }

  /** Number of joined channels (for tests and logs). */
  get size(): number {
    let total = 0;
    for (const set of this.byKey.values()) total += set.size;
    return total;
  }
}

function keyOf(subTopic: string, isPrivate: boolean): string {
  return `${isPrivate ? "private" : "public"}:${subTopic}`;
}
