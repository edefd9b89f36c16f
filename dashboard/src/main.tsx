import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app.tsx";
import { SessionProvider } from "./auth/session.tsx";
import { readConfig } from "./config.ts";
import { ApiError } from "./api/errors.ts";
import { MissingConfig } from "./views/missing_config.tsx";
import "./styles.css";

/** Every view polls every 30 s (Realtime broadcasts refresh sooner); errors of 4xx are not retried. */
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      refetchInterval: 30_000,
      staleTime: 5_000,
      retry: (failures, error) =>
        !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 2,
    },
  },
});

const config = readConfig();
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    {config
      ? (
        <SessionProvider config={config}>
          <QueryClientProvider client={queryClient}>
            <App config={config} />
          </QueryClientProvider>
        </SessionProvider>
      )
      : <MissingConfig />}
  </StrictMode>,
);
