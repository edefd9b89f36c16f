/**
 * Benchmark `client-revalidation`: what a revalidation costs compared with a full
 * read, for a nightly dataset (`product-metrics`, the largest) served from the
 * server's L1, through the stack's gateway as a browser would reach it:
 *
 * - `fetch 200`: a plain GET without `If-None-Match` (the full body);
 * - `fetch 304`: the same GET with the body's ETag (no body);
 * - `client 200` / `client 304`: `NightshiftClient.fetchDataset` over the real
 *   supabase-js (`functions.invoke`, GET), with an ETag store that forgets
 *   (always a 200) or keeps (a 304 returns the stored body).
 *
 * Each sample runs `--requests` sequential requests of every variant, interleaved
 * so the variants share conditions; a sample's figure is the median (and p95) of
 * its latencies. Reported: min / median / max over `--samples` samples, and the
 * 304 ÷ 200 ratio of medians (same run).
 *
 * Args: --requests 200 --samples 5 --invoices-per-org 2000
 *
 * @module
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createClient } from "@supabase/supabase-js";
import { LOCAL_ANON_KEY, mintUserToken } from "../local-stack/keys.ts";
import { generateProcurementData } from "../tools/generator/generate.ts";
import { generatedOrganizationIds } from "../tools/generator/ids.ts";
import { resolveGeneratorOptions } from "../tools/generator/options.ts";
import { type EtagStore, NightshiftClient } from "../client/src/mod.ts";
import { withBenchStack } from "./support/bench_stack.ts";
import type { BenchmarkReport, Measurement } from "./support/report.ts";

const DATASET = "product-metrics";
const SEED = 5151;
const AS_OF = "2026-11-20";

/** An ETag store that keeps nothing: every read is a full 200. */
const FORGETFUL: EtagStore = { get: () => undefined, set: () => {}, delete: () => {} };

type Variant = "fetch 200" | "fetch 304" | "client 200" | "client 304";
const VARIANTS: readonly Variant[] = ["fetch 200", "fetch 304", "client 200", "client 304"];

export async function run(args: readonly string[]): Promise<BenchmarkReport> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      requests: { type: "string", default: "200" },
      samples: { type: "string", default: "5" },
      "invoices-per-org": { type: "string", default: "2000" },
    },
    strict: true,
  });
  const requests = Number(values.requests);
  const samples = Number(values.samples);
  const invoices = Number(values["invoices-per-org"]);
  if (![requests, samples, invoices].every((n) => Number.isInteger(n) && n > 0) || samples < 5) {
    throw new Error("client-revalidation: --requests, --invoices-per-org > 0 and --samples >= 5");
  }
  return await withBenchStack("client-revalidation", async (stack) => {
    const generator = resolveGeneratorOptions({
      organizations: 1,
      invoicesPerOrganization: invoices,
      seed: SEED,
      endDate: AS_OF,
      workers: 1,
    });
    await generateProcurementData(stack.dbUrl, generator);
    const organizationId = generatedOrganizationIds(SEED, 1)[0]!;
    const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
    let userId: string;
    try {
      await sql`select analytics.rebuild_organization(${organizationId}, ${AS_OF})`;
      const [member] = await sql<{ user_id: string }[]>`
        select user_id from public.organization_members
         where organization_id = ${organizationId} limit 1`;
      userId = member!.user_id;
    } finally {
      await sql.end();
    }
    const token = await mintUserToken({ userId, expiresInSeconds: 3600 });
    const supabase = createClient(stack.apiUrl, LOCAL_ANON_KEY, {
      accessToken: () => Promise.resolve(token),
    });
    const keeping = new NightshiftClient(supabase);
    const forgetting = new NightshiftClient(supabase, { etagStore: FORGETFUL });
    const url =
      `${stack.apiUrl}/functions/v1/datasets/${DATASET}?organization_id=${organizationId}`;
    const headers = { Authorization: `Bearer ${token}`, apikey: LOCAL_ANON_KEY };
    const warm = await fetch(url, { headers });
    const body = await warm.text();
    const etag = warm.headers.get("etag")!;
    await keeping.fetchDataset(DATASET, { organization_id: organizationId });

    const once: Record<Variant, () => Promise<void>> = {
      "fetch 200": async () => {
        const response = await fetch(url, { headers });
        expect(response.status, 200, (await response.text()).length === body.length);
      },
      "fetch 304": async () => {
        const response = await fetch(url, { headers: { ...headers, "If-None-Match": etag } });
        expect(response.status, 304, (await response.text()) === "");
      },
      "client 200": async () => {
        const read = await forgetting.fetchDataset(DATASET, { organization_id: organizationId });
        expect(read.revalidated ? 304 : 200, 200, read.data.length > 0);
      },
      "client 304": async () => {
        const read = await keeping.fetchDataset(DATASET, { organization_id: organizationId });
        expect(read.revalidated ? 304 : 200, 304, read.data.length > 0);
      },
    };
    const medians: Record<Variant, number[]> = emptyRecord();
    const p95s: Record<Variant, number[]> = emptyRecord();
    for (let sample = 0; sample < samples; sample++) {
      for (const variant of VARIANTS) {
        const latencies: number[] = [];
        for (let i = 0; i < requests; i++) {
          const started = performance.now();
          await once[variant]();
          latencies.push(performance.now() - started);
        }
        latencies.sort((a, b) => a - b);
        medians[variant].push(quantile(latencies, 0.5));
        p95s[variant].push(quantile(latencies, 0.95));
      }
    }
    const measurements: Measurement[] = [
      { name: `${DATASET} body`, value: new TextEncoder().encode(body).length, unit: "bytes" },
    ];
    for (const variant of VARIANTS) {
      for (const [label, figures] of [["p50", medians[variant]], ["p95", p95s[variant]]] as const) {
        const [min, median, max] = spread(figures);
        measurements.push(
          { name: `${variant} ${label} min`, value: round(min), unit: "ms" },
          { name: `${variant} ${label} median`, value: round(median), unit: "ms" },
          { name: `${variant} ${label} max`, value: round(max), unit: "ms" },
        );
      }
    }
    for (const via of ["fetch", "client"] as const) {
      const ratios = medians[`${via} 304`].map((value, i) => value / medians[`${via} 200`][i]!);
      const [min, median, max] = spread(ratios);
      measurements.push(
        { name: `${via} 304 / 200 p50 ratio min`, value: round(min, 3), unit: "×" },
        { name: `${via} 304 / 200 p50 ratio median`, value: round(median, 3), unit: "×" },
        { name: `${via} 304 / 200 p50 ratio max`, value: round(max, 3), unit: "×" },
      );
    }
    return {
      name: "client-revalidation",
      description:
        `304 vs 200 for ${DATASET} (L1 hit) through the gateway, plain fetch and the client package`,
      measurements,
      context: {
        requests,
        samples,
        invoicesPerOrganization: invoices,
        cpus: navigator.hardwareConcurrency,
      },
    };
  });
}

function expect(status: number, wanted: number, ok: boolean): void {
  if (status !== wanted || !ok) {
    throw new Error(`client-revalidation: expected ${wanted}, got ${status} (body ok: ${ok})`);
  }
}

function emptyRecord(): Record<Variant, number[]> {
  return { "fetch 200": [], "fetch 304": [], "client 200": [], "client 304": [] };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function spread(values: readonly number[]): [number, number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted[0]!, quantile(sorted, 0.5), sorted.at(-1)!];
}

function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}
