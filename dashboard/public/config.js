// Run-time settings of the Nightshift dashboard. On static hosting, set your
// project's URL and publishable (anon) key here; `./nightshift dev` serves its
// own version of this file with the local stack's values.
window.NIGHTSHIFT_CONFIG = {
  // supabaseUrl: "https://<project-ref>.supabase.co",
  // publishableKey: "sb_publishable_...",
  // realtime: true,
};
