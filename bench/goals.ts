/**
 * The speed goals of issue 15, one place: each benchmark prints its figures
 * next to these and marks them met or not. Ratios are same-run (numerator and
 * denominator measured in the same round), medians of at least five samples.
 *
 * @module
 */
import type { Goal } from "./support/figures.ts";

/** Goal of each figure, by id. */
export const GOALS = {
  /** L1 hit throughput at 16 connections / a bare `Deno.serve` with the same bytes. */
  l1VsBare: { op: ">=", value: 0.7 },
  /** L1 hit throughput / BentoCache (memory L1, `serialize: false`) in the same shell. */
  l1VsBento: { op: ">=", value: 1.3 },
  /** L2 hit p50 at 1 connection / the same raw select served over the same hop. */
  l2VsRawSelect: { op: "<=", value: 1.2 },
  /** L2 hit p50 / BentoCache's untagged L2 (knex, Postgres) in the same shell. */
  l2VsBento: { op: "<=", value: 0.9 },
  /** The store's L2 read (`cache.entry_states` by key; `cache.read` before) p50 / a raw primary-key select, SQL only (same driver). */
  cacheReadVsSelect: { op: "<=", value: 1.15 },
  /** Membership queries in a burst of cold requests / (users × organizations × processes). */
  coldMembershipPerUserOrgProcess: { op: "<=", value: 1 },
  /** Computations in a cold burst across two processes (cross-instance single-flight). */
  coldComputations: { op: "<=", value: 1 },
  /** Distinct ETags answered in a cold burst for one key. */
  coldDistinctEtags: { op: "<=", value: 1 },
  /** Cleanup of a purged tag covering N entries / deleting those N directly. */
  cleanupVsDirectDelete: { op: "<=", value: 1.5 },
  /** Nightly full run / plain `REFRESH MATERIALIZED VIEW` of equivalent views. */
  nightlyFullVsRefresh: { op: "<=", value: 1.2 },
  /** Nightly incremental run (5% of organizations changed) / the same plain refresh. */
  nightlyIncrementalVsRefresh: { op: "<=", value: 0.07 },
  /** Zipf workload: SQL statements with the cache / without (no-cache mode). */
  zipfStatementsVsNoCache: { op: "<=", value: 0.03 },
  /** Read p95 during a full nightly run / idle. */
  readP95DuringNightly: { op: "<=", value: 1.05 },
} as const satisfies Record<string, Goal>;
