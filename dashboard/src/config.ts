/**
 * Where the dashboard finds its project: `window.NIGHTSHIFT_CONFIG` from
 * /config.js (written by `./nightshift dev`, or edited on a static host), else
 * the build's `VITE_SUPABASE_URL` / `VITE_SUPABASE_PUBLISHABLE_KEY`.
 */
export interface DashboardConfig {
  /** Project URL, e.g. `https://<ref>.supabase.co` or `http://127.0.0.1:54321`. */
  readonly supabaseUrl: string;
  /** Publishable key (`sb_publishable_…`, or the legacy anon JWT): supabase-js sends it as `apikey`. */
  readonly publishableKey: string;
  /** Whether to listen on Realtime; polling every 30 s happens either way. */
  readonly realtime: boolean;
}

interface RawConfig {
  supabaseUrl?: string;
  publishableKey?: string;
  realtime?: boolean;
}

declare global {
  interface Window {
    NIGHTSHIFT_CONFIG?: RawConfig;
  }
}

/** The configuration, or null when no project URL is known (the sign-in page asks). */
export function readConfig(): DashboardConfig | null {
  const raw = window.NIGHTSHIFT_CONFIG ?? {};
  const supabaseUrl = raw.supabaseUrl ?? import.meta.env.VITE_SUPABASE_URL as string | undefined;
  const publishableKey = raw.publishableKey ??
    import.meta.env.VITE_SUPABASE_PUBLISHABLE_KEY as string | undefined;
  if (!supabaseUrl || !publishableKey) return null;
  return {
    supabaseUrl: supabaseUrl.replace(/\/+$/, ""),
    publishableKey,
    realtime: raw.realtime ?? true,
  };
}
