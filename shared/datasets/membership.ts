import type { Sql } from "postgres";
import type { Clock } from "../util/clock.ts";
import { systemClock } from "../util/clock.ts";

/** Options of a {@linkcode MembershipChecker}. */
export interface MembershipCheckerOptions {
  /**
   * How long a positive answer is reused by this isolate: the bound within which
   * a removed member loses access. Negative answers are never reused.
   * @default 5000
   */
  readonly ttlMs?: number;
  /** Entries kept at most. @default 10000 */
  readonly maxEntries?: number;
  /** @default {systemClock} */
  readonly clock?: Clock;
}

/**
 * Decides whether a user belongs to an organization, before any cache lookup.
 * A confirmed membership is remembered for `ttlMs`, so a cached read costs no
 * database round trip; a revoked membership therefore takes effect within
 * `ttlMs` (plus the duration of a read already in flight).
 */
export class MembershipChecker {
  readonly #sql: Sql;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #clock: Clock;
  readonly #confirmedUntil = new Map<string, number>();

  constructor(sql: Sql, options: MembershipCheckerOptions = {}) {
    this.#sql = sql;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** True when `userId` is a member (any role) of `organizationId`. */
  async isMember(userId: string, organizationId: string): Promise<boolean> {
    const key = `${userId}:${organizationId}`;
    const now = this.#clock.now();
    const until = this.#confirmedUntil.get(key);
    if (until !== undefined && until > now) return true;
    this.#confirmedUntil.delete(key);
    const [row] = await this.#sql<{ member: boolean }[]>`
      select exists (
        select 1 from public.organization_members
         where organization_id = ${organizationId} and user_id = ${userId}
      ) as member`;
    if (!row?.member) return false;
    if (this.#confirmedUntil.size >= this.#maxEntries) {
      const oldest = this.#confirmedUntil.keys().next().value;
      if (oldest !== undefined) this.#confirmedUntil.delete(oldest);
    }
    this.#confirmedUntil.set(key, now + this.#ttlMs);
    return true;
  }
}
