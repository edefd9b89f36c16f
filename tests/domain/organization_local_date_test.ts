/** Live datasets default their window to the organization's local date, not the server's. */
import assert from "node:assert/strict";
import { connectAsSuperuser } from "../support/stack.ts";

Deno.test("private.organization_local_date follows the organization's time zone", async () => {
  const sql = connectAsSuperuser(1);
  const [east, west] = [crypto.randomUUID(), crypto.randomUUID()];
  try {
    await sql`
      insert into public.organizations (id, name, time_zone) values
        (${east}, 'UTC+14', 'Pacific/Kiritimati'), (${west}, 'UTC-11', 'Pacific/Pago_Pago')`;
    const [row] = await sql<{ east: string; west: string; days_apart: number }[]>`
      select private.organization_local_date(${east})::text as east,
             private.organization_local_date(${west})::text as west,
             private.organization_local_date(${east}) - private.organization_local_date(${west})
               as days_apart`;
    // 25 hours apart: the two local dates always differ, by one or two days.
    assert.ok([1, 2].includes(row!.days_apart), JSON.stringify(row));
    const [unknown] = await sql<{ same: boolean }[]>`
      select private.organization_local_date(${crypto.randomUUID()}) = current_date as same`;
    assert.equal(unknown!.same, true, "an unknown organization falls back to the UTC date");
  } finally {
    await sql`delete from public.organizations where id in (${east}, ${west})`;
    await sql.end();
  }
});
