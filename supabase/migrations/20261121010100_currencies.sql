-- =============================================================================
-- Currencies: the ISO 4217 codes invoices may be written in. A foreign key to
-- this table is what refuses an unknown currency. Reference data, readable by
-- everyone, written only by service_role (migrations add new codes).
-- =============================================================================

create table public.currencies (
  code char(3) primary key,
  name text not null,
  minor_units smallint not null default 2,
  constraint currencies_code_is_iso_4217 check (code ~ '^[A-Z]{3}$'),
  constraint currencies_minor_units_in_range check (minor_units between 0 and 4)
);
alter table public.currencies enable row level security;
comment on table public.currencies is 'ISO 4217 currencies accepted on invoices.';

revoke all on table public.currencies from anon, authenticated;
grant select on table public.currencies to anon, authenticated;
grant all on table public.currencies to service_role;

create policy "Anyone can read currencies"
  on public.currencies for select to anon, authenticated
  using (true);

-- -----------------------------------------------------------------------------
-- Reference data
-- -----------------------------------------------------------------------------

insert into public.currencies (code, name, minor_units) values
  ('AUD', 'Australian dollar', 2),
  ('BRL', 'Brazilian real', 2),
  ('CAD', 'Canadian dollar', 2),
  ('CHF', 'Swiss franc', 2),
  ('CNY', 'Chinese yuan', 2),
  ('CZK', 'Czech koruna', 2),
  ('DKK', 'Danish krone', 2),
  ('EUR', 'Euro', 2),
  ('GBP', 'Pound sterling', 2),
  ('HKD', 'Hong Kong dollar', 2),
  ('HUF', 'Hungarian forint', 2),
  ('INR', 'Indian rupee', 2),
  ('ISK', 'Icelandic krona', 0),
  ('JPY', 'Japanese yen', 0),
  ('KRW', 'South Korean won', 0),
  ('MXN', 'Mexican peso', 2),
  ('NOK', 'Norwegian krone', 2),
  ('NZD', 'New Zealand dollar', 2),
  ('PLN', 'Polish zloty', 2),
  ('RON', 'Romanian leu', 2),
  ('SEK', 'Swedish krona', 2),
  ('SGD', 'Singapore dollar', 2),
  ('TRY', 'Turkish lira', 2),
  ('USD', 'United States dollar', 2),
  ('ZAR', 'South African rand', 2);
