import { mintUserToken } from "../../local-stack/keys.ts";
import { createTwoTenants, dropTwoTenants, type TwoTenants } from "../domain/support/tenants.ts";
import { connectAsSuperuser, functionUrl, testStack } from "../support/stack.ts";

/** Reads a dataset through the gateway as the bearer of `token`. */
export async function readDataset(
  token: string,
  dataset: string,
  query: string,
  init: RequestInit = {},
  baseUrl: string = functionUrl("datasets"),
): Promise<{ response: Response; text: string }> {
  const response = await fetch(`${baseUrl}/${dataset}?${query}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  });
  return { response, text: await response.text() };
}

/** A signed-in user's token (HS256 unless said otherwise). */
export function tokenFor(userId: string, algorithm: "HS256" | "ES256" = "HS256"): Promise<string> {
  return mintUserToken({ userId, algorithm });
}

/** The service-role key of the stack under test. */
export const serviceRoleKey: string = testStack.serviceRoleKey;

/** Runs `work` with a fresh two-organization fixture (tests/domain/support/tenants.ts), dropped afterwards. */
export async function withTwoTenants(work: (tenants: TwoTenants) => Promise<void>): Promise<void> {
  const sql = connectAsSuperuser(1);
  const tenants = await createTwoTenants(sql);
  try {
    await work(tenants);
  } finally {
    await dropTwoTenants(sql, tenants);
    await sql.end();
  }
}
