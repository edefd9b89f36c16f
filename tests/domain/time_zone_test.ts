/**
 * Time zones: exactly IANA zone names (`Region/City`, plus `UTC`) as the
 * server's zone database spells them — never abbreviations, which are fixed
 * offsets — in SQL (the organizations check, also through RLS by an admin)
 * and in TypeScript (`isTimeZoneName`) alike.
 */
import assert from "node:assert/strict";
import { isTimeZoneName } from "../../shared/time_zone.ts";
import { asActor } from "../support/as_role.ts";
import { connectAsSuperuser } from "../support/stack.ts";
import { isPostgresError } from "./support/postgres_errors.ts";
import { rolledBack } from "./support/rolled_back.ts";
import { createTwoTenants, dropTwoTenants } from "./support/tenants.ts";

/** Abbreviations and other names PostgreSQL resolves but that are not IANA zone names. */
export const NOT_ZONE_NAMES = [
  "PST",
  "PDT",
  "CEST",
  "CET",
  "EDT",
  "EST",
  "AEDT",
  "IST",
  "GMT",
  "BST",
  "MSK",
  "Z",
  "utc",
  "EST5EDT",
  "PST8PDT",
  "CET+3",
  "America/New_York+5",
  "europe/copenhagen",
  "EUROPE/COPENHAGEN",
  "posix/Europe/Paris",
  "Japan",
  "Zulu",
  "localtime",
  "posixrules",
  "Mars/Olympus_Mons",
  "",
  " Europe/Copenhagen",
  "Europe/Copenhagen ",
  "Europe//Copenhagen",
  "+02:00",
  "UTC+2",
];
/** Names that must be accepted. */
export const ZONE_NAMES = [
  "UTC",
  "Europe/Copenhagen",
  "America/Los_Angeles",
  "America/Argentina/Buenos_Aires",
  "Asia/Kolkata",
  "Australia/Sydney",
  "Etc/GMT+5",
  "Pacific/Chatham",
  "America/Port-au-Prince",
];

Deno.test("organizations.time_zone accepts IANA names and refuses abbreviations", async (t) => {
  const sql = connectAsSuperuser(1);
  const accepts = (zone: string) =>
    rolledBack(sql, async (tx) => {
      try {
        await tx`insert into public.organizations (name, time_zone) values ('Z', ${zone})`;
        return true;
      } catch (error) {
        const refused = isPostgresError(error) ? error : undefined;
        if (refused?.code !== "23514") throw error;
        return false;
      }
    });
  try {
    await t.step("abbreviations and malformed names are refused", async () => {
      for (const zone of NOT_ZONE_NAMES) assert.equal(await accepts(zone), false, zone);
    });
    await t.step("zone names are accepted", async () => {
      for (const zone of ZONE_NAMES) assert.equal(await accepts(zone), true, zone);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("an organization admin cannot set an abbreviation through RLS", async () => {
  const sql = connectAsSuperuser(2);
  const tenants = await createTwoTenants(sql);
  try {
    for (const zone of ["PST", "CEST", "EDT", "AEDT", "IST"]) {
      await assert.rejects(
        asActor(
          sql,
          { role: "authenticated", userId: tenants.adminA },
          (tx) =>
            tx`update public.organizations set time_zone = ${zone} where id = ${tenants.orgA}`,
          {
            rollback: true,
          },
        ),
        (error: unknown) => isPostgresError(error) && error.code === "23514",
        zone,
      );
    }
    const updated = await asActor(
      sql,
      { role: "authenticated", userId: tenants.adminA },
      (tx) =>
        tx`update public.organizations set time_zone = 'America/Los_Angeles'
            where id = ${tenants.orgA} returning time_zone`,
      { rollback: true },
    );
    assert.equal(updated[0]?.time_zone, "America/Los_Angeles");
  } finally {
    await dropTwoTenants(sql, tenants);
    await sql.end();
  }
});

Deno.test("isTimeZoneName (TypeScript) accepts exactly what the database accepts", async () => {
  for (const zone of NOT_ZONE_NAMES) assert.equal(isTimeZoneName(zone), false, zone);
  for (const zone of ZONE_NAMES) assert.equal(isTimeZoneName(zone), true, zone);
  const sql = connectAsSuperuser(1);
  try {
    const names = await sql<{ name: string; accepted: boolean }[]>`
      select name, private.is_time_zone_name(name) as accepted from pg_catalog.pg_timezone_names`;
    const disagreements = names.filter((zone) => isTimeZoneName(zone.name) !== zone.accepted)
      .map((zone) => `${zone.name}: SQL ${zone.accepted}`);
    assert.deepEqual(disagreements, []);
  } finally {
    await sql.end();
  }
});

Deno.test("private.time_zone_replacement maps an existing row's abbreviation to a zone", async () => {
  const sql = connectAsSuperuser(1);
  try {
    const cases: Record<string, string> = {
      "PST": "America/Los_Angeles",
      "PDT": "America/Los_Angeles",
      "EDT": "America/New_York",
      "CEST": "Europe/Copenhagen",
      "AEDT": "Australia/Sydney",
      "IST": "Asia/Kolkata",
      "europe/copenhagen": "Europe/Copenhagen",
      "Europe/Copenhagen": "Europe/Copenhagen",
      "GMT": "UTC",
      "Mars/Olympus_Mons": "Europe/Copenhagen",
    };
    for (const [from, to] of Object.entries(cases)) {
      const [row] = await sql<{ zone: string }[]>`
        select private.time_zone_replacement(${from}) as zone`;
      assert.equal(row?.zone, to, from);
    }
  } finally {
    await sql.end();
  }
});
