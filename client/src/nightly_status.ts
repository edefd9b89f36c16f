/**
 * The nightly status of one organization, as `GET nightly-refresh/status`
 * reports it (`nightly.status` in SQL, README "Reading run history").
 *
 * @module
 */

/** The last nightly job of an organization. */
export interface NightlyResult {
  readonly run_id: string;
  readonly local_date: string;
  readonly status: "queued" | "running" | "refreshed" | "skipped" | "failed";
  readonly attempts: number;
  readonly finished_at: string | null;
  readonly duration_ms: number | null;
  readonly significant_changes: unknown;
  readonly error: string | null;
}

/** One organization's freshness. */
export interface NightlyOrganizationStatus {
  readonly organization_id: string;
  readonly name: string;
  readonly status: string;
  readonly time_zone: string;
  /** Last successful refresh (ISO 8601), null before the first. */
  readonly last_refreshed_at: string | null;
  readonly last_rebuilt_at: string | null;
  readonly rebuilt_as_of_date: string | null;
  readonly needs_rebuild: boolean;
  readonly overdue: boolean;
  /** The next local night to be refreshed (`YYYY-MM-DD`), null when suspended. */
  readonly next_local_date: string | null;
  readonly last_result: NightlyResult | null;
}

/** What `fetchNightlyStatus` returns. */
export interface NightlyStatus {
  readonly organization: NightlyOrganizationStatus;
  /** The last run that included the organization (`id, status, ticked_at, started_at, finished_at`). */
  readonly lastRun: Readonly<Record<string, unknown>> | null;
  readonly queue: {
    readonly queued: number;
    readonly waiting_for_retry: number;
    readonly running: number;
  };
  /** True while a job of the organization is running. */
  readonly running: boolean;
  /** True when the organization's last nightly job failed. */
  readonly failed: boolean;
  readonly generatedAt: string;
}
