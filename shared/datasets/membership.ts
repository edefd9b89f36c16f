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
 *
 * - **Single-flight:** concurrent checks of one (user, organization) in this
 *   isolate share one query, so a cold burst of N requests asks once per user and
 *   organization, not N times.
 * - **Bounded reuse:** a confirmed membership is remembered for `ttlMs`, so a
 *   cached read costs no database round trip; a revoked membership therefore takes
 *   effect within `ttlMs` (plus the duration of a check or read already in flight
 *   when it was revoked). Negative answers are not remembered (a new member gets
 *   access at once), only shared while their query runs.
 */
export class MembershipChecker {
  readonly #sql: Sql;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #clock: Clock;
  readonly #confirmedUntil = new Map<string, number>();
  readonly #inFlight = new Map<string, Promise<boolean>>();

  constructor(sql: Sql, options: MembershipCheckerOptions = {}) {
    this.#sql = sql;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** True when `userId` is a member (any role) of `organizationId`. */
  isMember(userId: string, organizationId: string): Promise<boolean> {
    const key = `${userId}:${organizationId}`;
    const until = this.#confirmedUntil.get(key);
    if (until !== undefined && until > this.#clock.now()) return Promise.resolve(true);
    let check = this.#inFlight.get(key);
    if (!check) {
      check = this.#check(key, userId, organizationId)
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, check);
    }
    return check;
  }

  async #check(key: string, userId: string, organizationId: string): Promise<boolean> {
    // Taken before the query: the reuse window never outlasts ttlMs after the answer's snapshot.
    const askedAt = this.#clock.now();
    const [row] = await this.#sql<{ member: boolean }[]>`
      select exists (
        select 1 from public.organization_members
         where organization_id = ${organizationId} and user_id = ${userId}
      ) as member`;
    if (!row?.member) {
      this.#confirmedUntil.delete(key);
      return false;
    }
    this.#confirmedUntil.delete(key);
    if (this.#confirmedUntil.size >= this.#maxEntries) {
      const oldest = this.#confirmedUntil.keys().next().value;
      if (oldest !== undefined) this.#confirmedUntil.delete(oldest);
    }
    this.#confirmedUntil.set(key, askedAt + this.#ttlMs);
    return true;
  }
}
