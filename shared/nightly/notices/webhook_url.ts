import type { Sql } from "postgres";

/** The Vault entry holding the webhook URL when the environment has none. */
export const WEBHOOK_URL_VAULT_NAME = "nightshift_nightly_webhook_url";

/**
 * Where notices go: `NIGHTLY_WEBHOOK_URL` when set, else the Vault secret
 * `nightshift_nightly_webhook_url` (read per invocation, so a change applies
 * at the next one), else nowhere yet: notices wait in the outbox.
 */
export async function resolveWebhookUrl(
  sql: Sql,
  fromEnvironment: string | undefined,
): Promise<string | undefined> {
  if (fromEnvironment) return fromEnvironment;
  const [row] = await sql<{ url: string | null }[]>`
    select decrypted_secret as url from vault.decrypted_secrets
     where name = ${WEBHOOK_URL_VAULT_NAME}`;
  return row?.url || undefined;
}
