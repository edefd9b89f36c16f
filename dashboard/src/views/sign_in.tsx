/** Sign-in: email + password through Supabase Auth, or a pasted access token (service-role key). */
import { type FormEvent, useState } from "react";
import { useSession } from "../auth/session.tsx";

export function SignIn({ error, onReset }: { error?: string; onReset?: () => void }) {
  const { signInWithPassword, signInWithToken } = useSession();
  const [message, setMessage] = useState<string | null>(error ?? null);
  const [busy, setBusy] = useState(false);

  async function onPassword(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setMessage(null);
    try {
      await signInWithPassword(String(form.get("email")), String(form.get("password")));
    } catch (failure) {
      setMessage(`Sign-in failed: ${(failure as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  function onToken(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const token = String(new FormData(event.currentTarget).get("token")).trim();
    if (!token) return setMessage("Paste an access token first.");
    setMessage(null);
    signInWithToken(token);
  }

  return (
    <main className="centered sign-in">
      <h1>Nightshift admin</h1>
      {message && <p role="alert" className="error">{message}</p>}
      {onReset && <button type="button" onClick={onReset}>Sign out and start over</button>}
      <form onSubmit={onPassword} aria-labelledby="password-title">
        <h2 id="password-title">Sign in with your account</h2>
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
      <form onSubmit={onToken} aria-labelledby="token-title">
        <h2 id="token-title">Operators: use an access token</h2>
        <p className="hint">
          The project's service-role key (sees every organization) or a user's access token. Kept
          for this tab only.
        </p>
        <label>
          Access token or service-role key
          <input name="token" type="password" autoComplete="off" spellCheck={false} />
        </label>
        <button type="submit">Use token</button>
      </form>
    </main>
  );
}
