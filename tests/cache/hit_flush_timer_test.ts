/** startHitFlushTimer: counts are written without a later read, and only when pending. */
import assert from "node:assert/strict";
import { HitRecorder } from "../../shared/cache/hit_recorder.ts";
import { startHitFlushTimer } from "../../shared/cache/hit_flush_timer.ts";
import { pollUntil } from "../support/poll.ts";

Deno.test("startHitFlushTimer writes pending counts without a later read", async () => {
  const batches: unknown[] = [];
  const recorder = new HitRecorder({
    store: { recordHits: (batch) => Promise.resolve(void batches.push(batch)) },
    flushIntervalMs: 60_000,
  });
  const timer = startHitFlushTimer(recorder, 20);
  try {
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(batches.length, 0, "nothing pending: nothing written");
    recorder.record("hit", { key: "o:d:", organizationId: "o", dataset: "d" }, 3);
    assert.equal(recorder.pendingKeys, 2);
    await pollUntil(
      "the timer flush",
      () => Promise.resolve(batches.length === 1 ? true : undefined),
      2_000,
    );
    assert.equal(recorder.pendingKeys, 0);
  } finally {
    timer.stop();
    await recorder.flush();
  }
});

Deno.test("startHitFlushTimer refuses an interval that is not positive", () => {
  const recorder = { flush: () => Promise.resolve(), pendingKeys: 0 };
  assert.throws(() => startHitFlushTimer(recorder, 0), /interval must be > 0: received 0/);
});
