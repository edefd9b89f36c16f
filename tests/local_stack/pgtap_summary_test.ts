/** summarizeTap counts pgTAP assertions so `./nightshift test` can add them to its closing line. */
import assert from "node:assert/strict";
import { summarizeTap } from "../../local-stack/pgtap.ts";

Deno.test("summarizeTap counts assertions and failures", () => {
  const tap = "x.sql .. \n1..3\nok 1 - a\nnot ok 2 - b\n# Failed test 2\nok 3 - c # SKIP why\nok\n";
  assert.deepEqual(summarizeTap("x.sql", tap, false), {
    file: "x.sql",
    passed: 2,
    failed: 1,
    failures: ["not ok 2 - b"],
  });
});

Deno.test("summarizeTap fails a file that did not meet its plan", async (t) => {
  await t.step("fewer assertions than planned", () => {
    const result = summarizeTap("x.sql", "1..3\nok 1 - a\n", false);
    assert.equal(result.passed, 1);
    assert.equal(result.failed, 1);
  });
  await t.step("no plan at all (the file died)", () => {
    assert.equal(summarizeTap("x.sql", "", false).failed, 1);
  });
  await t.step("a clean run passes", () => {
    assert.deepEqual(summarizeTap("x.sql", "1..1\nok 1 - a\n", true).failed, 0);
  });
});
