import type { Sql, TransactionSql } from "postgres";
import { readNightlySettings } from "../../../shared/nightly/settings.ts";
import type { NightlySettings } from "../../../shared/nightly/settings.ts";

/** One organization of a nightly fixture, with an admin and a member. */
export interface NightlyOrganization {
  readonly id: string;
  readonly name: string;
  readonly timeZone: string;
  readonly adminId: string;
  readonly memberId: string;
  readonly productId: string;
  readonly supplierId: string;
  readonly locationId: string;
}

/** How to create one organization. */
export interface OrganizationSpec {
  /** @default "Europe/Copenhagen" */
  readonly timeZone?: string;
  /** @default "2020-01-01T00:00:00Z": old enough to be due on any night a test picks */
  readonly createdAt?: string;
  /** @default "active" */
  readonly status?: "active" | "suspended";
  /** Dates of its paid invoices (one line each, 2 x 10.00 EUR). @default one, 5 days ago */
  readonly invoiceDates?: readonly string[];
}

/**
 * Creates organizations (committed, as superuser) with random ids: each with an
 * admin, a member, one supplier, location and product, and paid invoices. Their
 * created_at is in the past, so they are due on whatever night a test ticks.
 */
export async function createOrganizations(
  sql: Sql | TransactionSql,
  specs: readonly OrganizationSpec[],
): Promise<NightlyOrganization[]> {
  const today = new Date().toISOString().slice(0, 10);
  const fiveDaysAgo = new Date(Date.parse(today) - 5 * 86_400_000).toISOString().slice(0, 10);
  const organizations = specs.map((spec, index) => ({
    spec,
    organization: {
      id: crypto.randomUUID(),
      name: `Nightly ${index + 1} ${crypto.randomUUID().slice(0, 6)}`,
      timeZone: spec.timeZone ?? "Europe/Copenhagen",
      adminId: crypto.randomUUID(),
      memberId: crypto.randomUUID(),
      productId: crypto.randomUUID(),
      supplierId: crypto.randomUUID(),
      locationId: crypto.randomUUID(),
    },
  }));
  const inTransaction = (work: (tx: TransactionSql) => Promise<void>) =>
    "savepoint" in sql ? work(sql) : sql.begin(work);
  await inTransaction(async (tx) => {
    for (const { spec, organization: o } of organizations) {
      await tx`
        insert into auth.users (id, email) values
          (${o.adminId}, ${`${o.adminId}@nightly.test`}),
          (${o.memberId}, ${`${o.memberId}@nightly.test`})`;
      await tx`
        insert into public.organizations (id, name, status, time_zone, created_at)
        values (${o.id}, ${o.name}, ${spec.status ?? "active"}, ${o.timeZone},
                ${spec.createdAt ?? "2020-01-01T00:00:00Z"})`;
      await tx`
        insert into public.organization_members (organization_id, user_id, role) values
          (${o.id}, ${o.adminId}, 'admin'), (${o.id}, ${o.memberId}, 'member')`;
      await tx`insert into public.suppliers (id, organization_id, name)
               values (${o.supplierId}, ${o.id}, 'Supplier')`;
      await tx`insert into public.locations (id, organization_id, code, name)
               values (${o.locationId}, ${o.id}, 'L1', 'Location')`;
      await tx`insert into public.products (id, organization_id, sku, name, category, unit)
               values (${o.productId}, ${o.id}, 'P-1', 'Product', 'Produce', 'kg')`;
      for (const [index, date] of (spec.invoiceDates ?? [fiveDaysAgo]).entries()) {
        await addInvoice(tx, o, date, 2, 10, `N-${index + 1}`);
      }
    }
  });
  return organizations.map(({ organization }) => organization);
}

/** Adds a paid invoice of one line (`quantity` x `unitPrice` EUR) to an organization. */
export async function addInvoice(
  sql: Sql | TransactionSql,
  organization: NightlyOrganization,
  date: string,
  quantity: number,
  unitPrice: number,
  number = `N-${crypto.randomUUID().slice(0, 8)}`,
): Promise<void> {
  const invoiceId = crypto.randomUUID();
  await sql`
    insert into public.invoices
      (id, organization_id, supplier_id, location_id, invoice_number, invoice_date, status, currency)
    values (${invoiceId}, ${organization.id}, ${organization.supplierId}, ${organization.locationId},
            ${number}, ${date}, 'paid', 'EUR')`;
  await sql`
    insert into public.invoice_lines
      (organization_id, invoice_id, line_number, product_id, quantity, unit_price)
    values (${organization.id}, ${invoiceId}, 1, ${organization.productId}, ${quantity},
            ${unitPrice})`;
}

/**
 * Deletes the organizations with everything the nightly refresh wrote about
 * them: the runs that included them (their jobs and notices), their notices
 * and their users. Their Realtime messages stay until their day's partition
 * is dropped, as on Supabase (postgres may not delete from realtime.messages).
 */
export async function dropOrganizations(
  sql: Sql,
  organizations: readonly NightlyOrganization[],
): Promise<void> {
  if (organizations.length === 0) return;
  const ids = organizations.map((o) => o.id);
  await sql`
    delete from nightly.runs
     where id in (select run_id from nightly.organization_runs where organization_id in ${sql(ids)})
        or id in (select run.continues_run_id from nightly.runs as run
                   join nightly.organization_runs as job on job.run_id = run.id
                  where job.organization_id in ${sql(ids)})`;
  await sql`delete from nightly.webhook_outbox where organization_id in ${sql(ids)}`;
  await sql`delete from public.organizations where id in ${sql(ids)}`;
  await sql`
    delete from auth.users
     where id in ${sql(organizations.flatMap((o) => [o.adminId, o.memberId]))}`;
}

/** The cron secret of the stack under test (the stack put the functions' value into Vault). */
export async function stackCronSecret(sql: Sql): Promise<string> {
  const [row] = await sql<{ secret: string }[]>`
    select decrypted_secret as secret from vault.decrypted_secrets
     where name = 'nightshift_nightly_cron_secret'`;
  if (!row) throw new Error("The stack under test has no nightshift_nightly_cron_secret in Vault");
  return row.secret;
}

/** Settings for in-process invocations: the defaults, no chaining, then `overrides`. */
export function testSettings(overrides: Partial<NightlySettings> = {}): NightlySettings {
  return {
    ...readNightlySettings((name) =>
      name === "NIGHTLY_CRON_SECRET" ? "test-nightly-cron-secret-0123456789abcdef" : undefined
    ),
    NIGHTLY_CHAIN_INVOCATIONS: false,
    ...overrides,
  };
}
