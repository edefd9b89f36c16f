import type { GeneratorOptions } from "./options.ts";
import type { CatalogSize } from "./proportions.ts";
import { floatArray, textArray } from "./sql_literals.ts";
import { CURRENCIES, LOCATION_CITIES, PRODUCT_ITEMS, TIME_ZONES } from "./vocabulary.ts";

/**
 * SQL creating the session's generator functions in `pg_temp` (gone when the
 * session ends, never deployed). They are plain SQL expressions, so Postgres
 * inlines them into the set-based INSERTs. Every value is a pure function of
 * the seed and a row index, which is what makes the data deterministic.
 *
 * - `g_uniform(stream, n)`: a uniform number in [0, 1) for row `n` of a random stream
 * - `g_pick(stream, n, choices)`: an integer in [0, choices)
 * - `g_id(kind, n)`: the id of row `n` of a kind (see `generatedId`)
 * - `g_invoice_*`, `g_product_*`, `g_supplier_factor`: attributes shared by several tables
 */
export function generatorSessionSql(options: GeneratorOptions, catalog: CatalogSize): string {
  const { seed, historyDays, invoicesPerOrganization } = options;
  const items = PRODUCT_ITEMS.length;
  return `
    create or replace function pg_temp.g_uniform(stream integer, n bigint)
    returns double precision language sql immutable parallel safe
    as $$ select (hashint8extended(n, ${seed}::bigint * 64 + stream) & 2147483647)::double precision
                 / 2147483648.0 $$;

    create or replace function pg_temp.g_pick(stream integer, n bigint, choices integer)
    returns integer language sql immutable parallel safe
    as $$ select floor(pg_temp.g_uniform(stream, n) * choices)::integer $$;

    create or replace function pg_temp.g_id(kind integer, n bigint)
    returns uuid language sql immutable parallel safe
    as $$ select encode(
      int8send((kind::bigint << 48) | (${seed}::bigint << 16) | 32768)
        || int8send(n | (-9223372036854775807 - 1)),
      'hex')::uuid $$;

    create or replace function pg_temp.g_item_name(item integer)
    returns text language sql immutable parallel safe
    as $$ select (${textArray(PRODUCT_ITEMS.map((i) => i.name))})[item + 1] $$;

    create or replace function pg_temp.g_item_category(item integer)
    returns text language sql immutable parallel safe
    as $$ select (${textArray(PRODUCT_ITEMS.map((i) => i.category))})[item + 1] $$;

    create or replace function pg_temp.g_item_unit(item integer)
    returns text language sql immutable parallel safe
    as $$ select (${textArray(PRODUCT_ITEMS.map((i) => i.unit))})[item + 1] $$;

    create or replace function pg_temp.g_item_base_price(item integer)
    returns double precision language sql immutable parallel safe
    as $$ select (${floatArray(PRODUCT_ITEMS.map((i) => i.basePrice))})[item + 1] $$;

    create or replace function pg_temp.g_time_zone(organization bigint)
    returns text language sql immutable parallel safe
    as $$ select (${
    textArray(TIME_ZONES)
  })[pg_temp.g_pick(3, organization, ${TIME_ZONES.length}) + 1] $$;

    create or replace function pg_temp.g_city(location bigint)
    returns text language sql immutable parallel safe
    as $$ select (${textArray(LOCATION_CITIES.map(([city]) => city))})[
      pg_temp.g_pick(20, location, ${LOCATION_CITIES.length}) + 1] $$;

    create or replace function pg_temp.g_country(location bigint)
    returns text language sql immutable parallel safe
    as $$ select (${textArray(LOCATION_CITIES.map(([, country]) => country))})[
      pg_temp.g_pick(20, location, ${LOCATION_CITIES.length}) + 1] $$;

    -- Main currency of an organization, and the second one a tenth of its invoices use.
    create or replace function pg_temp.g_currency(organization bigint, invoice bigint)
    returns text language sql immutable parallel safe
    as $$ select case
      when pg_temp.g_uniform(44, invoice) < 0.1
        then case when pg_temp.g_pick(5, organization, ${CURRENCIES.length}) = 1 then 'USD' else 'EUR' end
      else (${textArray(CURRENCIES)})[pg_temp.g_pick(5, organization, ${CURRENCIES.length}) + 1]
    end $$;

    -- Invoice attributes, by global invoice index; lines recompute them instead of joining.
    create or replace function pg_temp.g_invoice_supplier(invoice bigint)
    returns bigint language sql immutable parallel safe
    as $$ select (invoice / ${Math.max(invoicesPerOrganization, 1)}) * ${catalog.suppliers}
                 + pg_temp.g_pick(40, invoice, ${catalog.suppliers}) $$;

    create or replace function pg_temp.g_invoice_age_days(invoice bigint)
    returns integer language sql immutable parallel safe
    as $$ select pg_temp.g_pick(42, invoice, ${historyDays}) $$;

    -- Supplier price level: 0.90 .. 1.15 of the organization's typical price.
    create or replace function pg_temp.g_supplier_factor(supplier bigint)
    returns double precision language sql immutable parallel safe
    as $$ select 0.9 + pg_temp.g_uniform(13, supplier) * 0.25 $$;

    -- Product attributes, by global product index: catalogs cycle through the items.
    create or replace function pg_temp.g_product_item(product bigint)
    returns integer language sql immutable parallel safe
    as $$ select ((product % ${catalog.products}) % ${items})::integer $$;

    create or replace function pg_temp.g_product_price(product bigint)
    returns double precision language sql immutable parallel safe
    as $$ select pg_temp.g_item_base_price(pg_temp.g_product_item(product))
                 * (0.6 + pg_temp.g_uniform(31, product) * 0.8) $$;

    -- Yearly inflation of a product's price: 2 % .. 14 %.
    create or replace function pg_temp.g_product_inflation(product bigint)
    returns double precision language sql immutable parallel safe
    as $$ select 0.02 + pg_temp.g_uniform(32, product) * 0.12 $$;
  `;
}
