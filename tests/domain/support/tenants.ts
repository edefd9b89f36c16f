import type { Sql } from "postgres";

/** Ids of a two-organization fixture: A with owner, admin, member and a removed member; B with a member. */
export interface TwoTenants {
  readonly orgA: string;
  readonly orgB: string;
  readonly ownerA: string;
  readonly adminA: string;
  readonly memberA: string;
  /** Was a member of A; the membership row has been deleted. */
  readonly removedA: string;
  readonly memberB: string;
  /** A user with no membership anywhere (to be added by tests). */
  readonly outsider: string;
  /** A's catalog: the `used*` rows are referenced by A's invoice, the `spare*` ones are not. */
  readonly usedSupplierA: string;
  readonly spareSupplierA: string;
  readonly usedLocationA: string;
  readonly spareLocationA: string;
  readonly usedProductA: string;
  readonly spareProductA: string;
  readonly invoiceA: string;
  readonly lineA: string;
  /** B's catalog and invoice, mirroring A's used rows. */
  readonly supplierB: string;
  readonly locationB: string;
  readonly productB: string;
  readonly invoiceB: string;
  /** The as-of date A's analytics were rebuilt for. */
  readonly asOf: string;
}

const AS_OF = "2026-11-20";

/**
 * Creates (as superuser, committed) two organizations with fresh random ids:
 * A with one paid invoice of one line dated five days before `asOf` and its
 * analytics rebuilt (one row in each dataset), and B with the same shape but
 * never rebuilt and without a refresh state row. Remove it with `dropTwoTenants`.
 */
export async function createTwoTenants(sql: Sql): Promise<TwoTenants> {
  const id = () => crypto.randomUUID();
  const t: TwoTenants = {
    orgA: id(),
    orgB: id(),
    ownerA: id(),
    adminA: id(),
    memberA: id(),
    removedA: id(),
    memberB: id(),
    outsider: id(),
    usedSupplierA: id(),
    spareSupplierA: id(),
    usedLocationA: id(),
    spareLocationA: id(),
    usedProductA: id(),
    spareProductA: id(),
    invoiceA: id(),
    lineA: id(),
    supplierB: id(),
    locationB: id(),
    productB: id(),
    invoiceB: id(),
    asOf: AS_OF,
  };
  const users = [t.ownerA, t.adminA, t.memberA, t.removedA, t.memberB, t.outsider];
  await sql.begin(async (tx) => {
    for (const user of users) {
      await tx`insert into auth.users (id, email) values (${user}, ${`${user}@tenants.test`})`;
    }
    await tx`
      insert into public.organizations (id, name) values (${t.orgA}, 'Tenant A'), (${t.orgB}, 'Tenant B')`;
    await tx`
      insert into public.organization_members (organization_id, user_id, role) values
        (${t.orgA}, ${t.ownerA}, 'owner'), (${t.orgA}, ${t.adminA}, 'admin'),
        (${t.orgA}, ${t.memberA}, 'member'), (${t.orgA}, ${t.removedA}, 'member'),
        (${t.orgB}, ${t.memberB}, 'member')`;
    await tx`
      insert into public.suppliers (id, organization_id, name) values
        (${t.usedSupplierA}, ${t.orgA}, 'Used supplier'),
        (${t.spareSupplierA}, ${t.orgA}, 'Spare supplier'),
        (${t.supplierB}, ${t.orgB}, 'Supplier of B')`;
    await tx`
      insert into public.locations (id, organization_id, code, name) values
        (${t.usedLocationA}, ${t.orgA}, 'A1', 'Used location'),
        (${t.spareLocationA}, ${t.orgA}, 'A2', 'Spare location'),
        (${t.locationB}, ${t.orgB}, 'B1', 'Location of B')`;
    await tx`
      insert into public.products (id, organization_id, sku, name, category, unit) values
        (${t.usedProductA}, ${t.orgA}, 'A-1', 'Used product', 'Produce', 'kg'),
        (${t.spareProductA}, ${t.orgA}, 'A-2', 'Spare product', 'Produce', 'kg'),
        (${t.productB}, ${t.orgB}, 'B-1', 'Product of B', 'Produce', 'kg')`;
    await tx`
      insert into public.invoices
        (id, organization_id, supplier_id, location_id, invoice_number, invoice_date, status, currency)
      values
        (${t.invoiceA}, ${t.orgA}, ${t.usedSupplierA}, ${t.usedLocationA}, 'A-0001',
         ${AS_OF}::date - 5, 'paid', 'EUR'),
        (${t.invoiceB}, ${t.orgB}, ${t.supplierB}, ${t.locationB}, 'B-0001',
         ${AS_OF}::date - 5, 'paid', 'EUR')`;
    await tx`
      insert into public.invoice_lines
        (id, organization_id, invoice_id, line_number, product_id, quantity, unit_price)
      values
        (${t.lineA}, ${t.orgA}, ${t.invoiceA}, 1, ${t.usedProductA}, 2, 10),
        (${crypto.randomUUID()}, ${t.orgB}, ${t.invoiceB}, 1, ${t.productB}, 3, 7)`;
    await tx`
      insert into public.user_preferences (organization_id, user_id, display_currency)
      values (${t.orgA}, ${t.memberA}, 'EUR')`;
    await tx`select analytics.rebuild_organization(${t.orgA}, ${AS_OF})`;
    await tx`
      delete from public.organization_members
      where organization_id = ${t.orgA} and user_id = ${t.removedA}`;
    await tx`delete from analytics.organization_state where organization_id = ${t.orgB}`;
  });
  return t;
}

/** Deletes the fixture's organizations (cascading to everything in them) and users. */
export async function dropTwoTenants(sql: Sql, t: TwoTenants): Promise<void> {
  await sql`delete from public.organizations where id in (${t.orgA}, ${t.orgB})`;
  await sql`
    delete from auth.users
    where id in (${t.ownerA}, ${t.adminA}, ${t.memberA}, ${t.removedA}, ${t.memberB}, ${t.outsider})`;
}
