import type { GeneratorOptions } from "./options.ts";
import type { CatalogSize } from "./proportions.ts";
import { textArray } from "./sql_literals.ts";
import { ORGANIZATION_WORDS, PRODUCT_ITEMS, SUPPLIER_WORDS } from "./vocabulary.ts";

/** One set-based INSERT of the generator, for the organizations [$1, $2) of a chunk. */
export interface GeneratorStatement {
  /** Table the statement fills, for progress and error messages. */
  readonly table: string;
  /** SQL with `$1` = first organization index, `$2` = end index (exclusive). */
  readonly text: string;
}

/**
 * The INSERT ... SELECT statements that generate a chunk of organizations,
 * in foreign key order. Global row indexes are `organization * perOrganization + k`,
 * so every chunk's rows are fixed by the seed alone, whichever session runs it.
 * Requires the session functions of `generatorSessionSql`.
 */
export function generatorStatements(
  options: GeneratorOptions,
  catalog: CatalogSize,
): GeneratorStatement[] {
  const { seed, endDate, historyDays, linesPerInvoice } = options;
  const invoices = options.invoicesPerOrganization;
  const { suppliers, locations, products } = catalog;
  const createdAt = `('${endDate}'::date - ${historyDays})::timestamptz`;
  const statements: GeneratorStatement[] = [
    {
      table: "public.organizations",
      text: `
        insert into public.organizations (id, name, status, time_zone, created_at, updated_at)
        select
          pg_temp.g_id(1, o),
          format('%s %s %s',
            (${
        textArray(ORGANIZATION_WORDS.first)
      })[pg_temp.g_pick(1, o, ${ORGANIZATION_WORDS.first.length}) + 1],
            (${
        textArray(ORGANIZATION_WORDS.second)
      })[pg_temp.g_pick(2, o, ${ORGANIZATION_WORDS.second.length}) + 1],
            o + 1),
          case when pg_temp.g_uniform(4, o) < 0.03 then 'suspended' else 'active' end
            ::public.organization_status,
          pg_temp.g_time_zone(o),
          ${createdAt},
          ${createdAt}
        from generate_series($1::bigint, $2::bigint - 1) as o`,
    },
    {
      table: "auth.users",
      text: `
        insert into auth.users (
          id, instance_id, aud, role, email, email_confirmed_at, created_at, updated_at
        )
        select
          pg_temp.g_id(2, o * 3 + r),
          '00000000-0000-0000-0000-000000000000',
          'authenticated',
          'authenticated',
          format('%s.s${seed}.o%s@generated.nightshift.test',
            (array['owner', 'admin', 'member'])[r + 1], o + 1),
          ${createdAt},
          ${createdAt},
          ${createdAt}
        from generate_series($1::bigint, $2::bigint - 1) as o
        cross join generate_series(0, 2) as r`,
    },
    {
      table: "public.organization_members",
      text: `
        insert into public.organization_members (organization_id, user_id, role, created_at, updated_at)
        select
          pg_temp.g_id(1, o),
          pg_temp.g_id(2, o * 3 + r),
          (array['owner', 'admin', 'member'])[r + 1]::public.organization_role,
          ${createdAt},
          ${createdAt}
        from generate_series($1::bigint, $2::bigint - 1) as o
        cross join generate_series(0, 2) as r`,
    },
    {
      table: "public.suppliers",
      text: `
        insert into public.suppliers (
          id, organization_id, name, contact_email, country_code, is_active, created_at, updated_at
        )
        select
          pg_temp.g_id(3, s),
          pg_temp.g_id(1, s / ${suppliers}),
          format('%s %s %s',
            (${
        textArray(SUPPLIER_WORDS.first)
      })[pg_temp.g_pick(10, s, ${SUPPLIER_WORDS.first.length}) + 1],
            (${
        textArray(SUPPLIER_WORDS.second)
      })[pg_temp.g_pick(11, s, ${SUPPLIER_WORDS.second.length}) + 1],
            lpad((s % ${suppliers} + 1)::text, 3, '0')),
          format('orders@supplier-%s.example', s % ${suppliers} + 1),
          pg_temp.g_country(s),
          pg_temp.g_uniform(12, s) >= 0.05,
          ${createdAt},
          ${createdAt}
        from generate_series($1::bigint * ${suppliers}, $2::bigint * ${suppliers} - 1) as s`,
    },
    {
      table: "public.locations",
      text: `
        insert into public.locations (
          id, organization_id, code, name, city, country_code, created_at, updated_at
        )
        select
          pg_temp.g_id(4, l),
          pg_temp.g_id(1, l / ${locations}),
          format('LOC-%s', lpad((l % ${locations} + 1)::text, 2, '0')),
          format('%s %s', pg_temp.g_city(l), l % ${locations} + 1),
          pg_temp.g_city(l),
          pg_temp.g_country(l),
          ${createdAt},
          ${createdAt}
        from generate_series($1::bigint * ${locations}, $2::bigint * ${locations} - 1) as l`,
    },
    {
      table: "public.products",
      text: `
        insert into public.products (
          id, organization_id, sku, name, category, unit, created_at, updated_at
        )
        select
          pg_temp.g_id(5, p),
          pg_temp.g_id(1, p / ${products}),
          format('SKU-%s', lpad((p % ${products} + 1)::text, 5, '0')),
          pg_temp.g_item_name(pg_temp.g_product_item(p))
            || case when p % ${products} >= ${PRODUCT_ITEMS.length}
                 then ' ' || ((p % ${products}) / ${PRODUCT_ITEMS.length} + 1) else '' end,
          pg_temp.g_item_category(pg_temp.g_product_item(p)),
          pg_temp.g_item_unit(pg_temp.g_product_item(p)),
          ${createdAt},
          ${createdAt}
        from generate_series($1::bigint * ${products}, $2::bigint * ${products} - 1) as p`,
    },
  ];
  if (invoices === 0) return statements;
  statements.push(
    {
      table: "public.invoices",
      text: `
        insert into public.invoices (
          id, organization_id, supplier_id, location_id, invoice_number, invoice_date, due_date,
          status, currency, created_at, updated_at
        )
        select
          pg_temp.g_id(6, i),
          pg_temp.g_id(1, o),
          pg_temp.g_id(3, pg_temp.g_invoice_supplier(i)),
          pg_temp.g_id(4, o * ${locations} + pg_temp.g_pick(41, i, ${locations})),
          format('INV-%s', lpad((i % ${invoices} + 1)::text, 6, '0')),
          invoice_date,
          invoice_date + 30,
          case
            when status_draw < 0.02 then 'draft'
            when status_draw < 0.04 then 'cancelled'
            when status_draw < 0.12 then 'pending'
            when status_draw < 0.30 then 'approved'
            else 'paid'
          end::public.invoice_status,
          pg_temp.g_currency(o, i),
          invoice_date::timestamptz,
          invoice_date::timestamptz
        from (
          select
            i,
            i / ${invoices} as o,
            '${endDate}'::date - pg_temp.g_invoice_age_days(i) as invoice_date,
            pg_temp.g_uniform(43, i) as status_draw
          from generate_series($1::bigint * ${invoices}, $2::bigint * ${invoices} - 1) as i
        ) as invoice`,
    },
    {
      table: "public.invoice_lines",
      text: `
        insert into public.invoice_lines (
          id, organization_id, invoice_id, line_number, product_id, quantity, unit_price, created_at
        )
        select
          pg_temp.g_id(7, l),
          pg_temp.g_id(1, o),
          pg_temp.g_id(6, i),
          (l % ${linesPerInvoice} + 1)::integer,
          pg_temp.g_id(5, p),
          case when pg_temp.g_item_unit(pg_temp.g_product_item(p)) in ('kg', 'l')
            then round((0.25 + pg_temp.g_uniform(51, l) * 19.75)::numeric, 3)
            else (1 + pg_temp.g_pick(51, l, 24))::numeric
          end,
          round((
            pg_temp.g_product_price(p)
            * pg_temp.g_supplier_factor(pg_temp.g_invoice_supplier(i))
            * (1 + pg_temp.g_product_inflation(p) * (${historyDays} - age_days) / 365.0)
            * (0.95 + pg_temp.g_uniform(52, l) * 0.1)
            * case when pg_temp.g_uniform(53, l) < 0.03 then 1.25 else 1.0 end
          )::numeric, 4),
          ('${endDate}'::date - age_days)::timestamptz
        from (
          select
            l,
            i,
            o,
            o * ${products} + pg_temp.g_pick(50, l, ${products}) as p,
            pg_temp.g_invoice_age_days(i) as age_days
          from (
            select l, l / ${linesPerInvoice} as i, l / ${linesPerInvoice} / ${invoices} as o
            from generate_series(
              $1::bigint * ${invoices * linesPerInvoice},
              $2::bigint * ${invoices * linesPerInvoice} - 1
            ) as l
          ) as indexes
        ) as line`,
    },
  );
  return statements;
}
