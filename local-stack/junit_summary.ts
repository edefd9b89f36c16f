/** Counts of a JUnit report. */
export interface JunitSummary {
  readonly passed: number;
  readonly failed: number;
}

/**
 * Counts passed and failed test cases in a JUnit XML report written by
 * `deno test --junit-path`. A missing report counts as nothing run.
 */
export function summarizeJunitReport(path: string): JunitSummary {
  let xml: string;
  try {
    xml = Deno.readTextFileSync(path);
  } catch {
    return { passed: 0, failed: 0 };
  }
  let passed = 0;
  let failed = 0;
  for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = match[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (!/<skipped\b/.test(body)) passed++;
  }
  return { passed, failed };
}
