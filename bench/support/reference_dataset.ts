/**
 * Generator arguments of the reference dataset the benchmarks load: 1,000
 * organizations with 200 invoices of 10 lines each (2,000,000 invoice lines),
 * seed 1. See tools/generator/options.ts.
 */
export const REFERENCE_GENERATOR_ARGS: readonly string[] = [
  "--orgs",
  "1000",
  "--invoices-per-org",
  "200",
  "--lines-per-invoice",
  "10",
  "--seed",
  "1",
];
