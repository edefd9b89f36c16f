-- =============================================================================
-- Nightly validation as rules: one SQL function per check, registered in
-- nightly.validation_rules, and a short dispatcher (nightly.validate_rebuild)
-- that runs them in order and raises the first problem. A new rule, or the
-- rules of a new nightly dataset, is a new function and a registry row; no
-- existing function is re-created.
--
-- A check is `(p_organization_id uuid, p_as_of date) returns text`: null when
-- the organization's rebuilt datasets pass, else the problem in words. The
-- dispatcher raises data_exception with the rule's message and the problem,
-- in the rebuilding transaction, so the organization rolls back alone.
--
-- The checks and messages are those of 20261121050200_nightly_validation.sql,
-- split per dataset where they were per dataset.
-- =============================================================================

create table nightly.validation_rules (
  name text primary key check (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  -- Rules run in this order; the first problem found is raised.
  position integer not null unique,
  -- The dataset a rule is about (null: several datasets or the base tables).
  dataset text references analytics.datasets (name) on delete cascade,
  -- Canonical name of `(uuid, date) returns text` (checked on insert).
  check_function text not null,
  -- The message the problem is raised with: '<message>: <problem>'.
  message text not null,
  description text not null
);
alter table nightly.validation_rules enable row level security;
comment on table nightly.validation_rules is
  'Checks of a rebuilt organization, run in position order by nightly.validate_rebuild.';
revoke all on table nightly.validation_rules from public, anon, authenticated;
grant select on table nightly.validation_rules to service_role;
create policy "Service role reads the validation rules" on nightly.validation_rules
  for select to service_role using (true);

create function private.check_validation_rule()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_function regprocedure := to_regprocedure(new.check_function || '(uuid, date)');
begin
  if v_function is null or not exists (
    select from pg_catalog.pg_proc as p
    where p.oid = v_function and not p.proretset and p.prorettype = 'text'::regtype
  ) then
    raise exception 'Cannot register validation rule %: % must be a function (uuid, date) '
      'returning text', new.name, new.check_function
      using errcode = 'invalid_object_definition';
  end if;
  new.check_function := v_function::oid::regproc::text;
  return new;
end
$$;
comment on function private.check_validation_rule() is
  'Row trigger of nightly.validation_rules: refuses a check that is not (uuid, date) returning '
  'text and stores its canonical name.';
revoke execute on function private.check_validation_rule() from public;

create trigger validation_rules_check
  before insert or update on nightly.validation_rules
  for each row execute function private.check_validation_rule();

-- -----------------------------------------------------------------------------
-- Reconciliation with the base tables
-- -----------------------------------------------------------------------------

create function nightly.check_product_spend_reconciles(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  with base_lines as (
    select invoice.currency, sum(line.line_total) as spend, count(*) as lines,
      count(distinct line.product_id) as products
    from public.invoices as invoice
    join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    where invoice.organization_id = p_organization_id
      and invoice.invoice_date between private.reporting_window_start(p_as_of) and p_as_of
      and invoice.status in ('pending', 'approved', 'paid')
    group by invoice.currency
  ),
  rebuilt_products as (
    select metrics.currency, sum(metrics.spend_total) as spend, sum(metrics.line_count) as lines,
      count(*) as products
    from analytics.product_metrics as metrics
    where metrics.organization_id = p_organization_id
    group by metrics.currency
  )
  select format('booked %s: base tables have spend %s in %s lines over %s products, '
                'product-metrics has spend %s in %s lines over %s rows',
                currency, coalesce(base.spend, 0), coalesce(base.lines, 0),
                coalesce(base.products, 0), coalesce(rebuilt.spend, 0),
                coalesce(rebuilt.lines, 0), coalesce(rebuilt.products, 0))
  from base_lines as base
  full join rebuilt_products as rebuilt using (currency)
  where base.spend is distinct from rebuilt.spend
     or base.lines is distinct from rebuilt.lines
     or base.products is distinct from rebuilt.products
  order by currency
  limit 1
$$;
comment on function nightly.check_product_spend_reconciles(uuid, date) is
  'Validation rule: per currency, booked lines in the reporting window (spend, count, distinct '
  'products) equal product-metrics'' totals. Null, or the first currency that differs.';

create function nightly.check_invoice_counts_reconcile(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  with base_invoices as (
    select invoice.currency, count(*) as invoices
    from public.invoices as invoice
    where invoice.organization_id = p_organization_id
      and invoice.invoice_date between private.reporting_window_start(p_as_of) and p_as_of
    group by invoice.currency
  ),
  rebuilt_invoices as (
    select analytics_row.currency, sum(analytics_row.invoice_count) as invoices
    from analytics.invoice_analytics as analytics_row
    where analytics_row.organization_id = p_organization_id
    group by analytics_row.currency
  )
  select format('%s: base tables have %s invoices, invoice-analytics counts %s',
                currency, coalesce(base.invoices, 0), coalesce(rebuilt.invoices, 0))
  from base_invoices as base
  full join rebuilt_invoices as rebuilt using (currency)
  where base.invoices is distinct from rebuilt.invoices
  order by currency
  limit 1
$$;
comment on function nightly.check_invoice_counts_reconcile(uuid, date) is
  'Validation rule: per currency, invoices of any status in the reporting window equal '
  'invoice-analytics'' counts. Null, or the first currency that differs.';

-- -----------------------------------------------------------------------------
-- No negative amounts or counts, no NaN (numeric NaN compares equal to itself)
-- -----------------------------------------------------------------------------

create function nightly.check_dashboard_metrics_figures(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  select 'dashboard-metrics'
  where exists (
    select from analytics.dashboard_metrics as m
    where m.organization_id = p_organization_id
      and (least(m.spend_last_30_days, m.spend_previous_30_days, m.spend_last_90_days,
                 m.spend_previous_90_days, m.average_invoice_last_30_days) < 0
           or least(m.invoice_count_last_30_days, m.active_suppliers_last_90_days) < 0
           or 'NaN' in (m.spend_last_30_days, m.spend_previous_30_days, m.spend_last_90_days,
                        m.spend_previous_90_days, m.average_invoice_last_30_days,
                        m.spend_change_30_days_percent, m.spend_change_90_days_percent))
  )
$$;
comment on function nightly.check_dashboard_metrics_figures(uuid, date) is
  'Validation rule: dashboard-metrics has no negative amount or count and no NaN.';

create function nightly.check_product_metrics_figures(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  select 'product-metrics'
  where exists (
    select from analytics.product_metrics as m
    where m.organization_id = p_organization_id
      and (least(m.quantity_total, m.spend_total, m.average_unit_price, m.min_unit_price,
                 m.max_unit_price, m.first_unit_price, m.last_unit_price) < 0
           or m.line_count < 0
           or 'NaN' in (m.quantity_total, m.spend_total, m.average_unit_price, m.min_unit_price,
                        m.max_unit_price, m.first_unit_price, m.last_unit_price,
                        m.price_change_percent))
  )
$$;
comment on function nightly.check_product_metrics_figures(uuid, date) is
  'Validation rule: product-metrics has no negative quantity, price or count and no NaN.';

create function nightly.check_cogs_analysis_figures(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  select 'cogs-analysis'
  where exists (
    select from analytics.cogs_analysis as m
    where m.organization_id = p_organization_id
      and (m.spend < 0 or m.line_count < 0
           or least(m.share_of_month_percent, m.share_of_total_percent) < 0
           or greatest(m.share_of_month_percent, m.share_of_total_percent) > 100
           or 'NaN' in (m.spend, m.share_of_month_percent, m.share_of_total_percent))
  )
$$;
comment on function nightly.check_cogs_analysis_figures(uuid, date) is
  'Validation rule: cogs-analysis has no negative spend or count, shares within 0..100, no NaN.';

create function nightly.check_supplier_metrics_figures(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  select 'supplier-metrics'
  where exists (
    select from analytics.supplier_metrics as m
    where m.organization_id = p_organization_id
      and (least(m.spend, m.average_invoice) < 0 or m.invoice_count < 0
           or m.share_of_spend_percent < 0 or m.share_of_spend_percent > 100
           or 'NaN' in (m.spend, m.average_invoice, m.share_of_spend_percent, m.price_variance,
                        m.price_variance_percent))
  )
$$;
comment on function nightly.check_supplier_metrics_figures(uuid, date) is
  'Validation rule: supplier-metrics has no negative amount or count, a share within 0..100, '
  'no NaN.';

create function nightly.check_invoice_analytics_figures(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  select 'invoice-analytics'
  where exists (
    select from analytics.invoice_analytics as m
    where m.organization_id = p_organization_id
      and (least(m.total_amount, m.average_amount) < 0 or m.invoice_count < 0
           or 'NaN' in (m.total_amount, m.average_amount))
  )
$$;
comment on function nightly.check_invoice_analytics_figures(uuid, date) is
  'Validation rule: invoice-analytics has no negative amount or count and no NaN.';

-- -----------------------------------------------------------------------------
-- Plausible row counts: rows exactly where the base tables have data for them,
-- never more rows than the base rows they summarize
-- -----------------------------------------------------------------------------

create function nightly.check_dashboard_metrics_rows(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  select format('dashboard-metrics has %s rows for %s currencies with booked invoices in 180 days',
                rebuilt.row_count, base.currencies)
  from (
    select count(distinct invoice.currency) as currencies
    from public.invoices as invoice
    where invoice.organization_id = p_organization_id
      and invoice.invoice_date between p_as_of - 179 and p_as_of
      and invoice.status in ('pending', 'approved', 'paid')
  ) as base,
  (
    select count(*) as row_count from analytics.dashboard_metrics
    where organization_id = p_organization_id
  ) as rebuilt
  where rebuilt.row_count <> base.currencies
$$;
comment on function nightly.check_dashboard_metrics_rows(uuid, date) is
  'Validation rule: dashboard-metrics has one row per currency with booked invoices in the 180 '
  'days ending p_as_of.';

create function nightly.check_cogs_analysis_rows(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  select format('cogs-analysis has %s rows in %s currencies for %s booked lines in %s currencies',
                rebuilt.row_count, rebuilt.currencies, base.lines, base.currencies)
  from (
    select count(*) as lines, count(distinct invoice.currency) as currencies
    from public.invoices as invoice
    join public.invoice_lines as line
      on line.organization_id = invoice.organization_id and line.invoice_id = invoice.id
    where invoice.organization_id = p_organization_id
      and invoice.invoice_date between private.reporting_window_start(p_as_of) and p_as_of
      and invoice.status in ('pending', 'approved', 'paid')
  ) as base,
  (
    select count(*) as row_count, count(distinct currency) as currencies
    from analytics.cogs_analysis where organization_id = p_organization_id
  ) as rebuilt
  where rebuilt.currencies <> base.currencies or rebuilt.row_count > base.lines
$$;
comment on function nightly.check_cogs_analysis_rows(uuid, date) is
  'Validation rule: cogs-analysis has rows in exactly the currencies of booked lines in the '
  'reporting window, and no more rows than those lines.';

create function nightly.check_supplier_metrics_rows(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  select format(
    'supplier-metrics has %s rows in %s currencies for %s booked invoices in %s currencies',
    rebuilt.row_count, rebuilt.currencies, base.invoices, base.currencies)
  from (
    select count(*) as invoices, count(distinct invoice.currency) as currencies
    from public.invoices as invoice
    where invoice.organization_id = p_organization_id
      and invoice.invoice_date between private.reporting_window_start(p_as_of) and p_as_of
      and invoice.status in ('pending', 'approved', 'paid')
  ) as base,
  (
    select count(*) as row_count, count(distinct currency) as currencies
    from analytics.supplier_metrics where organization_id = p_organization_id
  ) as rebuilt
  where rebuilt.currencies <> base.currencies or rebuilt.row_count > base.invoices
$$;
comment on function nightly.check_supplier_metrics_rows(uuid, date) is
  'Validation rule: supplier-metrics has rows in exactly the currencies of booked invoices in the '
  'reporting window, and no more rows than those invoices.';

create function nightly.check_invoice_analytics_rows(p_organization_id uuid, p_as_of date)
returns text
language sql
stable
set search_path = ''
as $$
  select format(
    'invoice-analytics has %s rows in %s currencies for %s invoices in %s currencies',
    rebuilt.row_count, rebuilt.currencies, base.invoices, base.currencies)
  from (
    select count(*) as invoices, count(distinct invoice.currency) as currencies
    from public.invoices as invoice
    where invoice.organization_id = p_organization_id
      and invoice.invoice_date between private.reporting_window_start(p_as_of) and p_as_of
  ) as base,
  (
    select count(*) as row_count, count(distinct currency) as currencies
    from analytics.invoice_analytics where organization_id = p_organization_id
  ) as rebuilt
  where rebuilt.currencies <> base.currencies or rebuilt.row_count > base.invoices
$$;
comment on function nightly.check_invoice_analytics_rows(uuid, date) is
  'Validation rule: invoice-analytics has rows in exactly the currencies of invoices (any status) '
  'in the reporting window, and no more rows than those invoices.';

-- -----------------------------------------------------------------------------
-- The rules, in the order the old function checked them
-- -----------------------------------------------------------------------------

insert into nightly.validation_rules (name, position, dataset, check_function, message, description)
values
  ('product_spend_reconciles', 10, 'product-metrics', 'nightly.check_product_spend_reconciles',
   'Rebuilt totals do not reconcile with the base tables',
   'Booked spend, lines and products per currency match the base tables.'),
  ('invoice_counts_reconcile', 20, 'invoice-analytics', 'nightly.check_invoice_counts_reconcile',
   'Rebuilt totals do not reconcile with the base tables',
   'Invoices per currency match the base tables.'),
  ('dashboard_metrics_figures', 30, 'dashboard-metrics', 'nightly.check_dashboard_metrics_figures',
   'Rebuilt datasets hold negative or NaN figures', 'No negative or NaN figures.'),
  ('product_metrics_figures', 31, 'product-metrics', 'nightly.check_product_metrics_figures',
   'Rebuilt datasets hold negative or NaN figures', 'No negative or NaN figures.'),
  ('cogs_analysis_figures', 32, 'cogs-analysis', 'nightly.check_cogs_analysis_figures',
   'Rebuilt datasets hold negative or NaN figures', 'No negative or NaN figures.'),
  ('supplier_metrics_figures', 33, 'supplier-metrics', 'nightly.check_supplier_metrics_figures',
   'Rebuilt datasets hold negative or NaN figures', 'No negative or NaN figures.'),
  ('invoice_analytics_figures', 34, 'invoice-analytics', 'nightly.check_invoice_analytics_figures',
   'Rebuilt datasets hold negative or NaN figures', 'No negative or NaN figures.'),
  ('dashboard_metrics_rows', 40, 'dashboard-metrics', 'nightly.check_dashboard_metrics_rows',
   'Rebuilt datasets have implausible row counts', 'One row per recently booked currency.'),
  ('cogs_analysis_rows', 41, 'cogs-analysis', 'nightly.check_cogs_analysis_rows',
   'Rebuilt datasets have implausible row counts', 'Rows where booked lines are.'),
  ('supplier_metrics_rows', 42, 'supplier-metrics', 'nightly.check_supplier_metrics_rows',
   'Rebuilt datasets have implausible row counts', 'Rows where booked invoices are.'),
  ('invoice_analytics_rows', 43, 'invoice-analytics', 'nightly.check_invoice_analytics_rows',
   'Rebuilt datasets have implausible row counts', 'Rows where invoices are.');

-- -----------------------------------------------------------------------------
-- The dispatcher
-- -----------------------------------------------------------------------------

create or replace function nightly.validate_rebuild(p_organization_id uuid, p_as_of date)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  v_rule nightly.validation_rules;
  v_problem text;
begin
  for v_rule in select * from nightly.validation_rules as rule order by rule.position loop
    execute format('select %s($1, $2)', v_rule.check_function)
      into v_problem
      using p_organization_id, p_as_of;
    if v_problem is not null then
      raise exception '%: %', v_rule.message, v_problem
        using errcode = 'data_exception', detail = format('validation rule %s', v_rule.name);
    end if;
  end loop;
end
$$;
comment on function nightly.validate_rebuild(uuid, date) is
  'Runs every rule of nightly.validation_rules in position order against the organization''s '
  'rebuilt nightly datasets as of p_as_of; raises data_exception ''<message>: <problem>'' '
  '(detail: the rule) at the first problem.';

revoke execute on function
  nightly.check_product_spend_reconciles(uuid, date),
  nightly.check_invoice_counts_reconcile(uuid, date),
  nightly.check_dashboard_metrics_figures(uuid, date),
  nightly.check_product_metrics_figures(uuid, date),
  nightly.check_cogs_analysis_figures(uuid, date),
  nightly.check_supplier_metrics_figures(uuid, date),
  nightly.check_invoice_analytics_figures(uuid, date),
  nightly.check_dashboard_metrics_rows(uuid, date),
  nightly.check_cogs_analysis_rows(uuid, date),
  nightly.check_supplier_metrics_rows(uuid, date),
  nightly.check_invoice_analytics_rows(uuid, date)
  from public;
grant execute on function
  nightly.check_product_spend_reconciles(uuid, date),
  nightly.check_invoice_counts_reconcile(uuid, date),
  nightly.check_dashboard_metrics_figures(uuid, date),
  nightly.check_product_metrics_figures(uuid, date),
  nightly.check_cogs_analysis_figures(uuid, date),
  nightly.check_supplier_metrics_figures(uuid, date),
  nightly.check_invoice_analytics_figures(uuid, date),
  nightly.check_dashboard_metrics_rows(uuid, date),
  nightly.check_cogs_analysis_rows(uuid, date),
  nightly.check_supplier_metrics_rows(uuid, date),
  nightly.check_invoice_analytics_rows(uuid, date)
  to service_role;
