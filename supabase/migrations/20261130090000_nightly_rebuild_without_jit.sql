-- =============================================================================
-- The nightly refresh's per-organization work runs without JIT compilation.
--
-- Measured on the benchmark's data (bench/nightly_bench.ts, 30 organizations of
-- the reference shape, track_functions = all): a full run took 1.2–3.2 s with
-- JIT and 0.5–1.7 s without (4 interleaved rounds, 37–56% less each round).
-- The queries of one organization touch a few thousand rows, but the planner
-- costs them from default estimates of set-returning functions (1,000 rows per
-- private.booked_invoice_lines / invoice_totals call, 100 per jsonb_each, and
-- their cross products), which pass jit_above_cost (100,000): each call then
-- spent ~15–25 ms generating and emitting code for work that takes well under
-- one. nightly.significant_changes alone (a cross join of two jsonb key sets,
-- planned at 1.3 million rows for ten) took ~23 ms a call, 20 of them JIT.
--
-- A function's SET applies to everything it calls, so setting jit = off on the
-- entry points covers the rebuild, the validation rules, the key figures and
-- the comparison, however they are reached (the orchestrator's job, an admin
-- rebuild, a direct call). Nothing else changes: same plans, same rows.
--
-- Note for later migrations: CREATE OR REPLACE FUNCTION resets a function's
-- SET clauses, so a redefinition of one of these must repeat `set jit = off`
-- (tests/nightly/rebuild_settings_test.ts fails otherwise).
-- =============================================================================

alter function nightly.process_organization_run(
  bigint, uuid, timestamptz, interval, integer, interval, numeric
) set jit = off;
alter function analytics.rebuild_organization(uuid, date) set jit = off;
alter function nightly.validate_rebuild(uuid, date) set jit = off;
alter function nightly.significant_changes(jsonb, jsonb, numeric) set jit = off;
