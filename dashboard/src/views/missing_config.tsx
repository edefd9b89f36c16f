/** Shown when /config.js names no project (a static deploy not configured yet). */
export function MissingConfig() {
  return (
    <main className="centered">
      <h1>Nightshift admin</h1>
      <p>
        This dashboard does not know its project yet. Set <code>supabaseUrl</code> and{" "}
        <code>publishableKey</code> in <code>config.js</code> next to <code>index.html</code>{" "}
        (or build with <code>VITE_SUPABASE_URL</code> and{" "}
        <code>VITE_SUPABASE_PUBLISHABLE_KEY</code>).
      </p>
    </main>
  );
}
