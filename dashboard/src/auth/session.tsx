/**
 * Who is signed in: a user through Supabase Auth (email + password, refreshed by
 * supabase-js), or an operator who pasted an access token — the service-role
 * key, or a user's JWT. A pasted token lives in sessionStorage only (gone with
 * the tab); Auth sessions are kept by supabase-js.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from "react";
import type { DashboardConfig } from "../config.ts";

const PASTED_TOKEN_KEY = "nightshift-dashboard-token";

/** The signed-in caller. */
export interface Session {
  readonly token: string;
  /** How they signed in. */
  readonly method: "password" | "token";
  /** The email for a password sign-in; "access token" otherwise. */
  readonly label: string;
}

interface SessionContextValue {
  readonly supabase: SupabaseClient;
  readonly session: Session | null;
  /** True until a stored session has been looked at. */
  readonly loading: boolean;
  signInWithPassword(email: string, password: string): Promise<void>;
  signInWithToken(token: string): void;
  signOut(): Promise<void>;
}

/**
 * Who a pasted token says it is (its unverified claims: for display only; the
 * API verifies the token): the email, else the user id, else the role.
 */
function tokenLabel(token: string): string {
  try {
    const part = token.split(".")[1] ?? "";
    const claims = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as {
      email?: string;
      sub?: string;
      role?: string;
    };
    return claims.email || (claims.sub ? `user ${claims.sub}` : claims.role || "access token");
  } catch {
    return "access token";
  }
}

const SessionContext = createContext<SessionContextValue | null>(null);

/** Provides the session to the app. */
export function SessionProvider(
  { config, children }: { config: DashboardConfig; children: ReactNode },
) {
  const supabase = useMemo(
    () =>
      createClient(config.supabaseUrl, config.publishableKey, {
        auth: { persistSession: true, autoRefreshToken: true, storageKey: "nightshift-dashboard" },
      }),
    [config.supabaseUrl, config.publishableKey],
  );
  const [session, setSession] = useState<Session | null>(() => {
    const pasted = sessionStorage.getItem(PASTED_TOKEN_KEY);
    return pasted ? { token: pasted, method: "token", label: tokenLabel(pasted) } : null;
  });
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let active = true;
    const fromAuth = (token: string | undefined, email: string | undefined) => {
      if (!active || sessionStorage.getItem(PASTED_TOKEN_KEY)) return;
      setSession(token ? { token, method: "password", label: email ?? "signed in" } : null);
    };
    supabase.auth.getSession().then(({ data }) => {
      fromAuth(data.session?.access_token, data.session?.user.email);
      if (active) setLoading(false);
    }, () => active && setLoading(false));
    const { data } = supabase.auth.onAuthStateChange((_event, next) => {
      fromAuth(next?.access_token, next?.user.email);
    });
    return () => {
      active = false;
      data.subscription.unsubscribe();
    };
  }, [supabase]);

  const value: SessionContextValue = {
    supabase,
    session,
    loading,
    async signInWithPassword(email, password) {
      sessionStorage.removeItem(PASTED_TOKEN_KEY);
      const { data, error } = await supabase.auth.signInWithPassword({ email, password });
      if (error) throw error;
      setSession({ token: data.session.access_token, method: "password", label: email });
    },
    signInWithToken(token) {
      sessionStorage.setItem(PASTED_TOKEN_KEY, token);
      setSession({ token, method: "token", label: tokenLabel(token) });
    },
    async signOut() {
      sessionStorage.removeItem(PASTED_TOKEN_KEY);
      setSession(null);
      await supabase.auth.signOut({ scope: "local" }).catch(() => {});
    },
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The session context (inside {@linkcode SessionProvider}). */
export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
