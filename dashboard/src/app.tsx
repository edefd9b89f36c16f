/**
 * The dashboard shell: sign-in, the refusal page for non-administrators, then
 * the organization picker, the navigation and the current view.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { type AdminApi, createAdminApi } from "./api/client.ts";
import { ApiError } from "./api/errors.ts";
import type { Organization, OrganizationsAnswer } from "./api/types.ts";
import { useSession } from "./auth/session.tsx";
import type { DashboardConfig } from "./config.ts";
import { type LiveState, useLiveChannel } from "./live/live_channel.ts";
import { DatasetsView } from "./views/datasets.tsx";
import { EntriesView } from "./views/entries.tsx";
import { HealthView } from "./views/health.tsx";
import { InvalidateView } from "./views/invalidate.tsx";
import { LiveView } from "./views/live.tsx";
import { MaintenanceView } from "./views/maintenance.tsx";
import { NightlyView } from "./views/nightly.tsx";
import { OverviewView } from "./views/overview.tsx";
import { Refusal } from "./views/refusal.tsx";
import { SignIn } from "./views/sign_in.tsx";

/** What every view gets. */
export interface ViewProps {
  readonly api: AdminApi;
  readonly organization: Organization;
  readonly organizations: readonly Organization[];
  readonly isServiceRole: boolean;
  readonly live: LiveState;
}

const VIEWS = [
  { id: "overview", title: "Overview", render: (p: ViewProps) => <OverviewView {...p} /> },
  { id: "datasets", title: "Datasets", render: (p: ViewProps) => <DatasetsView {...p} /> },
  { id: "entries", title: "Entries", render: (p: ViewProps) => <EntriesView {...p} /> },
  { id: "health", title: "Health", render: (p: ViewProps) => <HealthView {...p} /> },
  { id: "maintenance", title: "Maintenance", render: (p: ViewProps) => <MaintenanceView {...p} /> },
  { id: "invalidate", title: "Invalidate", render: (p: ViewProps) => <InvalidateView {...p} /> },
  { id: "nightly", title: "Nightly", render: (p: ViewProps) => <NightlyView {...p} /> },
  { id: "live", title: "Live", render: (p: ViewProps) => <LiveView {...p} /> },
] as const;

/** `#/<view>`: hash routing works on any static host. */
function useHashView(): string {
  const read = () => location.hash.replace(/^#\/?/, "").split("?")[0] || "overview";
  const [view, setView] = useState(read);
  useEffect(() => {
    const onChange = () => setView(read());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return view;
}

export function App({ config }: { config: DashboardConfig }) {
  const { session, loading, supabase, signOut } = useSession();
  const token = session?.token ?? "";
  const api = useMemo(
    () => createAdminApi(config.supabaseUrl, config.publishableKey, () => token),
    [config, token],
  );
  const me = useQuery({
    queryKey: ["me", token],
    queryFn: () => api.get<OrganizationsAnswer>("cache-admin/organizations"),
    enabled: session !== null,
    refetchInterval: false,
  });
  const administered = useMemo(
    () => (me.data?.organizations ?? []).filter((org) => org.role !== "member"),
    [me.data],
  );
  const [chosen, setChosen] = useState<string | null>(() => localStorage.getItem("nightshift-org"));
  const organization = administered.find((org) => org.id === chosen) ?? administered[0] ?? null;
  const live = useLiveChannel(supabase, token, organization?.id ?? null, config.realtime);
  const view = useHashView();

  if (loading) return <main className="centered" aria-busy="true">Loading…</main>;
  if (!session) return <SignIn />;
  if (me.isPending) return <main className="centered" aria-busy="true">Checking your access…</main>;
  if (me.error) {
    const unauthorized = me.error instanceof ApiError && me.error.status === 401;
    return (
      <SignIn
        error={unauthorized
          ? `Not signed in: ${me.error.message}`
          : `The admin API did not answer: ${me.error.message}`}
        onReset={signOut}
      />
    );
  }
  if (me.data.role !== "service_role" && administered.length === 0) {
    return <Refusal answer={me.data} label={session.label} onSignOut={signOut} />;
  }
  if (!organization) {
    return <main className="centered">There are no organizations yet.</main>;
  }
  const current = VIEWS.find((candidate) => candidate.id === view) ?? VIEWS[0];
  const props: ViewProps = {
    api,
    organization,
    organizations: administered,
    isServiceRole: me.data.role === "service_role",
    live,
  };
  return (
    <div className="shell">
      <header className="top">
        <span className="brand">Nightshift admin</span>
        <label className="org-picker">
          Organization
          <select
            value={organization.id}
            onChange={(event) => {
              localStorage.setItem("nightshift-org", event.target.value);
              setChosen(event.target.value);
            }}
          >
            {administered.map((org) => (
              <option key={org.id} value={org.id}>
                {org.name} ({org.role === "service_role" ? "service role" : org.role})
              </option>
            ))}
          </select>
        </label>
        <span className="who" data-testid="signed-in-as">
          {me.data.role === "service_role" ? "service role" : session.label}
        </span>
        <span
          className={`live-dot live-${live.channel}`}
          title={`Realtime: ${live.channel}`}
          data-testid="live-badge"
        >
              {live.channel === "subscribed" ? "live" : "polling"}
        </span>
        <button type="button" onClick={signOut}>Sign out</button>
      </header>
      <nav aria-label="Views">
        <ul>
          {VIEWS.map((candidate) => (
            <li key={candidate.id}>
              <a
                href={`#/${candidate.id}`}
                aria-current={candidate.id === current.id ? "page" : undefined}
              >
                {candidate.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="view" aria-labelledby="view-title">
        <h1 id="view-title">{current.title}</h1>
        {current.render(props)}
      </main>
    </div>
  );
}
