/**
 * Real clients for the client package's tests: supabase-js against the stack
 * under test (the user's access token given through `accessToken`, as a
 * third-party-auth app would, until GoTrue sign-in is part of the stack), a
 * TanStack QueryClient, and a two-tenant fixture with rows in every dataset.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { QueryClient } from "@tanstack/query-core";
import type { Sql } from "postgres";
import { NightshiftClient } from "../../client/src/mod.ts";
import type { TwoTenants } from "../domain/support/tenants.ts";
import { tokenFor } from "../functions/datasets_support.ts";
import { testStack } from "../support/stack.ts";

/** supabase-js as the bearer of `token` (a user's JWT or the service-role key). */
export function supabaseWithToken(token: string): SupabaseClient {
  return createClient(testStack.apiUrl, testStack.anonKey, {
    accessToken: () => Promise.resolve(token),
  });
}

/** A NightshiftClient for a user of the fixture. */
export async function nightshiftFor(userId: string): Promise<NightshiftClient> {
  const token = await tokenFor(userId);
  const client = new NightshiftClient(supabaseWithToken(token), {
    accessToken: () => Promise.resolve(token),
  });
  await client.ready;
  return client;
}

/** A QueryClient that never retries on its own (tests decide) and never garbage-collects mid-test. */
export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity } } });
}

/**
 * Adds to A a later invoice at a 50% higher price for the used product (a
 * price alert), committed, as a base-table write.
 */
export async function addPriceRise(sql: Sql, t: TwoTenants): Promise<void> {
  const invoice = crypto.randomUUID();
  await sql.begin(async (tx) => {
    await tx`
      insert into public.invoices
        (id, organization_id, supplier_id, location_id, invoice_number, invoice_date, status, currency)
      values (${invoice}, ${t.orgA}, ${t.usedSupplierA}, ${t.usedLocationA}, 'A-0002',
              ${t.asOf}::date - 1, 'paid', 'EUR')`;
    await tx`
      insert into public.invoice_lines
        (organization_id, invoice_id, line_number, product_id, quantity, unit_price)
      values (${t.orgA}, ${invoice}, 1, ${t.usedProductA}, 1, 15)`;
  });
}
