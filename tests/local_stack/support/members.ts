import type { Sql } from "postgres";

/** Two organizations, an owner of A and a member of each, all with passwords. */
export interface MemberFixture {
  readonly orgA: string;
  readonly orgB: string;
  readonly ownerA: { readonly id: string; readonly email: string };
  readonly memberA: { readonly id: string; readonly email: string };
  readonly memberB: { readonly id: string; readonly email: string };
  readonly password: string;
}

/**
 * Creates the fixture (committed, as `postgres`); passwords stored as GoTrue
 * stores them (bcrypt; cost 4 here to keep tests fast, GoTrue verifies any cost).
 * Remove with `dropMembers`.
 */
export async function createMembers(sql: Sql): Promise<MemberFixture> {
  const id = () => crypto.randomUUID();
  const password = `pw-${id()}`;
  const fixture: MemberFixture = {
    orgA: id(),
    orgB: id(),
    ownerA: { id: id(), email: `o-${id()}@realtime.test` },
    memberA: { id: id(), email: `a-${id()}@realtime.test` },
    memberB: { id: id(), email: `b-${id()}@realtime.test` },
    password,
  };
  await sql.begin(async (tx) => {
    for (const user of [fixture.ownerA, fixture.memberA, fixture.memberB]) {
      await tx`
        insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at)
        values (${user.id}, 'authenticated', 'authenticated', ${user.email},
                extensions.crypt(${password}, extensions.gen_salt('bf', 4)), now())`;
    }
    await tx`
      insert into public.organizations (id, name)
      values (${fixture.orgA}, 'Realtime A'), (${fixture.orgB}, 'Realtime B')`;
    await tx`
      insert into public.organization_members (organization_id, user_id, role) values
        (${fixture.orgA}, ${fixture.ownerA.id}, 'owner'),
        (${fixture.orgA}, ${fixture.memberA.id}, 'member'),
        (${fixture.orgB}, ${fixture.memberB.id}, 'member')`;
  });
  return fixture;
}

/** Deletes the fixture's organizations and users (sessions cascade). */
export async function dropMembers(sql: Sql, fixture: MemberFixture): Promise<void> {
  await sql`delete from public.organizations where id in (${fixture.orgA}, ${fixture.orgB})`;
  await sql`delete from auth.users where id in (${fixture.ownerA.id}, ${fixture.memberA.id}, ${fixture.memberB.id})`;
}

/** The private topic of an organization's cache invalidation broadcasts. */
export function invalidationTopic(organizationId: string): string {
  return `cache-invalidation:${organizationId}`;
}
