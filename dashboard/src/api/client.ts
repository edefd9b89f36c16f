import { readAnswer } from "./errors.ts";

/** Calls the project's admin functions with the signed-in caller's bearer token. */
export interface AdminApi {
  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
}

/**
 * `path` is relative to `/functions/v1/`, e.g. `cache-admin/metrics`.
 * `token()` gives the current access token (it may have been refreshed).
 */
export function createAdminApi(
  supabaseUrl: string,
  publishableKey: string,
  token: () => string,
): AdminApi {
  const headers = () => ({ Authorization: `Bearer ${token()}`, apikey: publishableKey });
  const url = (path: string, query: Record<string, string | number | undefined> = {}) => {
    const target = new URL(`${supabaseUrl}/functions/v1/${path}`);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== "") target.searchParams.set(name, String(value));
    }
    return target.toString();
  };
  return {
    async get<T>(path: string, query?: Record<string, string | number | undefined>) {
      return await readAnswer<T>(await fetch(url(path, query), { headers: headers() }));
    },
    async post<T>(path: string, body: unknown) {
      return await readAnswer<T>(
        await fetch(url(path), {
          method: "POST",
          headers: { ...headers(), "Content-Type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
    },
  };
}
