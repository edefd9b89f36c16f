/**
 * The React hooks render with @tanstack/react-query (react-dom/server): a
 * prefetched dataset and nightly status reach the component through
 * `useDataset` / `useNightlyStatus` under the keys of the core. The listener hook
 * only runs in effects (not on the server); the browser exercises it
 * (dashboard's browser tests) and its logic is `listenForInvalidations`.
 */
import assert from "node:assert/strict";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import {
  datasetQueryOptions,
  nightlyStatusQueryOptions,
  NightshiftClient,
} from "../../client/src/mod.ts";
import { useDataset, useInvalidationListener, useNightlyStatus } from "../../client/src/react.ts";
import { withTwoTenants } from "../functions/datasets_support.ts";
import { nightshiftFor } from "./client_support.ts";

function SupplierNames(props: { client: NightshiftClient; organizationId: string }) {
  useInvalidationListener(props.client, props.organizationId);
  const suppliers = useDataset(props.client, "supplier-data", {
    organization_id: props.organizationId,
  });
  const status = useNightlyStatus(props.client, props.organizationId);
  return createElement(
    "ul",
    { "data-nightly": status.data?.organization.rebuilt_as_of_date ?? "none" },
    ...(suppliers.data?.data ?? []).map((row) =>
      createElement("li", { key: row.supplier_id }, row.name)
    ),
  );
}

Deno.test("useDataset and useNightlyStatus render what the core fetched", async () => {
  await withTwoTenants(async (t) => {
    const client = await nightshiftFor(t.ownerA);
    const queryClient = new QueryClient();
    await queryClient.prefetchQuery(
      datasetQueryOptions(client, "supplier-data", { organization_id: t.orgA }),
    );
    await queryClient.prefetchQuery(nightlyStatusQueryOptions(client, t.orgA));
    const html = renderToString(
      createElement(
        QueryClientProvider,
        { client: queryClient },
        createElement(SupplierNames, { client, organizationId: t.orgA }),
      ),
    );
    assert.match(html, /<li>Spare supplier<\/li><li>Used supplier<\/li>/);
    assert.match(html, new RegExp(`data-nightly="${t.asOf}"`));
    queryClient.clear();
  });
});
