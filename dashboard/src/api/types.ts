/**
 * Shapes of the admin API answers the dashboard reads (see the README sections
 * "Cache metrics, health and maintenance" and "Nightly refresh").
 */

export interface Organization {
  id: string;
  name: string;
  status: "active" | "suspended";
  time_zone: string;
  role: "owner" | "admin" | "member" | "service_role";
}

export interface OrganizationsAnswer {
  role: "service_role" | "authenticated";
  user_id: string | null;
  organizations: Organization[];
  administers: string[];
}

export interface LatencySummary {
  reads: number;
  p50_ms: number | "+Inf" | null;
  p95_ms: number | "+Inf" | null;
}

export interface Figures {
  entries: number;
  bytes: number;
  expired_entries: number;
  avg_hits_per_entry: number | null;
  max_hits_per_entry: number;
  hits: number;
  stale_hits: number;
  /** Reads that ran the computation. */
  misses: number;
  /** Reads answered by another read's computation (no computation of their own). */
  waits: number;
  hit_rate: number | null;
  compute_failures: number;
  latency: { hit: LatencySummary; stale: LatencySummary; miss: LatencySummary };
}

export interface TopEntry {
  key: string;
  organization_id: string;
  dataset: string;
  hits: number;
  bytes: number;
  last_hit_at: string | null;
  created_at: string;
  expires_at: string;
  tags: string[];
}

export interface MetricsAnswer {
  organization_id: string | null;
  generated_at: string;
  window: { hours: number; since: string };
  overall: Figures;
  datasets: (Figures & { dataset: string })[];
  top_entries: TopEntry[];
  entries_by_tag: { tag: string; entries: number }[];
  last_nightly_run: Record<string, unknown> | null;
}

export interface SeriesPoint {
  hour: string;
  hits: number;
  stale_hits: number;
  misses: number;
  waits: number;
  compute_failures: number;
  hit_rate: number | null;
  latency: { hit: number[]; stale: number[]; miss: number[] };
}

export interface SeriesAnswer {
  organization_id: string | null;
  window: { hours: number; since: string };
  latency_bounds_ms: number[];
  hours: string[];
  overall: SeriesPoint[];
  datasets: { dataset: string; points: SeriesPoint[] }[];
}

export interface HealthReason {
  check: string;
  severity: "degraded" | "critical";
  message: string;
  recommendation: string;
}

export interface HealthAnswer {
  status: "healthy" | "degraded" | "critical";
  organization_id: string | null;
  checked_at: string;
  reasons: HealthReason[];
  checks: Record<string, Record<string, unknown>>;
}

export interface MaintenanceAnswer {
  action: string;
  status: "done" | "confirmation_required";
  organization_id: string | null;
  deleted_entries?: number;
  entries?: number;
  confirmation_token?: string;
  expires_at?: string;
  message?: string;
  details?: Record<string, unknown>;
  duration_ms?: number;
  log_id: number;
}

export interface HistoryAnswer {
  organization_id: string | null;
  days: number;
  total: number;
  truncated: boolean;
  daily: {
    date: string;
    actions: number;
    deleted_entries: number;
    duration_ms: number;
    by_action: Record<string, number>;
  }[];
  entries: {
    id: number;
    actor_user_id: string | null;
    actor_role: string;
    action: string;
    criteria: Record<string, unknown>;
    deleted_entries: number;
    details: Record<string, unknown>;
    duration_ms: number;
    started_at: string;
  }[];
}

export interface AuditAnswer {
  organization_id: string | null;
  entries: {
    id: number;
    organization_id: string;
    actor_user_id: string | null;
    actor_role: string;
    mode: "expire" | "purge";
    datasets: string[];
    tags: string[];
    bumped: Record<string, number>;
    reason: string | null;
    created_at: string;
  }[];
}

export interface InvalidateAnswer {
  organization_id: string;
  mode: "expire" | "purge";
  invalidated: { tag: string; version: number }[];
  audit_id: number;
}

export interface NightlyOrganization {
  organization_id: string;
  name: string;
  status: string;
  time_zone: string;
  last_refreshed_at: string | null;
  last_rebuilt_at: string | null;
  rebuilt_as_of_date: string | null;
  needs_rebuild: boolean;
  overdue: boolean;
  next_local_date: string | null;
  last_result: {
    run_id: string;
    local_date: string;
    status: string;
    attempts: number;
    finished_at: string | null;
    duration_ms: number | null;
    error: string | null;
  } | null;
}

export interface NightlyStatusAnswer {
  generated_at: string;
  last_run: Record<string, unknown> | null;
  queue: { queued: number; waiting_for_retry: number; running: number };
  overdue_after_hours: number;
  overdue_count: number;
  organizations?: NightlyOrganization[];
}

export interface RunsAnswer {
  organization_id: string;
  runs: {
    id: number;
    run_id: string;
    kind: "night" | "rebuild";
    local_date: string;
    status: string;
    skip_reason: string | null;
    attempts: number;
    enqueued_at: string;
    finished_at: string | null;
    duration_ms: number | null;
    row_counts: Record<string, number> | null;
    significant_changes: unknown[];
    last_error: string | null;
  }[];
  last_error: { at: string; local_date: string; error: string } | null;
  pending_notices: {
    id: number;
    kind: string;
    attempts: number;
    next_attempt_at: string;
    last_http_status: number | null;
    last_error: string | null;
    created_at: string;
  }[];
}

export interface RebuildAnswer {
  organization_id: string;
  status: "queued" | "already_queued";
  run_id: string;
  job_id: number;
  local_date: string;
}

export interface EntriesAnswer {
  organization_id: string | null;
  tag: string | null;
  entries: {
    key: string;
    organization_id: string;
    dataset: string;
    hits: number;
    bytes: number;
    status: "fresh" | "stale" | "purged" | "expired";
    last_hit_at: string | null;
    created_at: string;
    fresh_until: string;
    expires_at: string;
    tags: string[];
  }[];
}
