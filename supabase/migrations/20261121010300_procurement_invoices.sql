-- =============================================================================
-- Procurement invoices: supplier invoices received for a location, and their
-- lines. Members read; admins and owners write.
--
-- Integrity is enforced by the database, not by callers:
--   * composite foreign keys keep every reference inside one organization
--     (a line can never name another organization's product or invoice);
--   * currencies must be known ISO 4217 codes;
--   * quantities are positive, unit prices non-negative, and a line's total is
--     a generated column, so it can never disagree with quantity x unit price.
-- Deleting an invoice deletes its lines; deleting a supplier, location or
-- product that an invoice references is refused. Deleting an organization
-- deletes its invoices first (a trigger), then cascades to everything else.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Types
-- -----------------------------------------------------------------------------

create type public.invoice_status as enum ('draft', 'pending', 'approved', 'paid', 'cancelled');
comment on type public.invoice_status is
  'pending, approved and paid invoices are booked spend; draft and cancelled are not.';

-- -----------------------------------------------------------------------------
-- Invoices
-- -----------------------------------------------------------------------------

create table public.invoices (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  supplier_id uuid not null,
  location_id uuid not null,
  invoice_number text not null,
  invoice_date date not null,
  due_date date,
  status public.invoice_status not null default 'pending',
  currency char(3) not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint invoices_id_within_organization unique (organization_id, id),
  constraint invoices_number_unique_per_supplier
    unique (organization_id, supplier_id, invoice_number),
  constraint invoices_supplier_must_belong_to_organization
    foreign key (organization_id, supplier_id) references public.suppliers (organization_id, id),
  constraint invoices_location_must_belong_to_organization
    foreign key (organization_id, location_id) references public.locations (organization_id, id),
  constraint invoices_currency_must_be_known
    foreign key (currency) references public.currencies (code),
  constraint invoices_number_not_blank check (length(btrim(invoice_number)) between 1 and 64),
  constraint invoices_due_date_not_before_invoice_date
    check (due_date is null or due_date >= invoice_date)
);
alter table public.invoices enable row level security;
comment on table public.invoices is 'Supplier invoices; their total is the sum of their lines.';

-- Date-range reads per organization (every dataset), and the foreign keys'
-- reverse lookups (refusing to delete a referenced location).
create index invoices_organization_date_idx on public.invoices (organization_id, invoice_date);
create index invoices_organization_location_idx
  on public.invoices (organization_id, location_id, invoice_date);

create trigger invoices_touch_updated_at
  before update on public.invoices
  for each row execute function private.touch_updated_at();

-- -----------------------------------------------------------------------------
-- Invoice lines
-- -----------------------------------------------------------------------------

create table public.invoice_lines (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  invoice_id uuid not null,
  line_number integer not null,
  product_id uuid not null,
  quantity numeric(12, 3) not null,
  unit_price numeric(12, 4) not null,
  line_total numeric(14, 2) generated always as (round(quantity * unit_price, 2)) stored,
  created_at timestamptz not null default now(),
  constraint invoice_lines_number_unique_within_invoice
    unique (organization_id, invoice_id, line_number),
  constraint invoice_lines_invoice_must_belong_to_organization
    foreign key (organization_id, invoice_id) references public.invoices (organization_id, id)
    on delete cascade,
  constraint invoice_lines_product_must_belong_to_organization
    foreign key (organization_id, product_id) references public.products (organization_id, id),
  constraint invoice_lines_line_number_positive check (line_number > 0),
  constraint invoice_lines_quantity_must_be_positive check (quantity > 0),
  constraint invoice_lines_unit_price_must_not_be_negative check (unit_price >= 0)
);
alter table public.invoice_lines enable row level security;
comment on table public.invoice_lines is
  'What an invoice charges for. organization_id repeats the invoice''s, so RLS and the '
  'composite foreign keys need no join.';
comment on column public.invoice_lines.line_total is
  'quantity x unit_price rounded to cents; generated, so it cannot be written.';

-- Per-product reads (product metrics, price alerts) and the product foreign
-- key's reverse lookup (refusing to delete a referenced product).
create index invoice_lines_organization_product_idx
  on public.invoice_lines (organization_id, product_id);

-- -----------------------------------------------------------------------------
-- Deleting an organization
-- -----------------------------------------------------------------------------

-- The cascade from organizations reaches products before it reaches lines
-- (through invoices), and the products' "no action" check runs as soon as
-- that cascade step ends, while the lines still exist. Removing the invoices
-- (and so the lines) before the organization row goes avoids that ordering.
create function private.delete_organization_invoices()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  delete from public.invoices where organization_id = old.id;
  return old;
end
$$;
comment on function private.delete_organization_invoices() is
  'Row trigger: deletes an organization''s invoices (and their lines) before the organization.';
revoke execute on function private.delete_organization_invoices() from public;

create trigger organizations_delete_invoices_first
  before delete on public.organizations
  for each row execute function private.delete_organization_invoices();

-- -----------------------------------------------------------------------------
-- Grants (see the tenancy migration on why defaults are narrowed)
-- -----------------------------------------------------------------------------

revoke all on table public.invoices, public.invoice_lines from anon, authenticated;
grant select, insert, update, delete on table public.invoices, public.invoice_lines
  to authenticated;
grant all on table public.invoices, public.invoice_lines to service_role;

-- -----------------------------------------------------------------------------
-- Policies: invoices
-- -----------------------------------------------------------------------------

create policy "Organization members can read invoices"
  on public.invoices for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

create policy "Organization admins can add invoices"
  on public.invoices for insert to authenticated
  with check (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can change invoices"
  on public.invoices for update to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')))
  with check (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can remove invoices"
  on public.invoices for delete to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')));

-- -----------------------------------------------------------------------------
-- Policies: invoice lines
-- -----------------------------------------------------------------------------

create policy "Organization members can read invoice lines"
  on public.invoice_lines for select to authenticated
  using (organization_id in (select private.current_user_organization_ids('member')));

create policy "Organization admins can add invoice lines"
  on public.invoice_lines for insert to authenticated
  with check (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can change invoice lines"
  on public.invoice_lines for update to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')))
  with check (organization_id in (select private.current_user_organization_ids('admin')));

create policy "Organization admins can remove invoice lines"
  on public.invoice_lines for delete to authenticated
  using (organization_id in (select private.current_user_organization_ids('admin')));
