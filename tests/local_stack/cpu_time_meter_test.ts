/**
 * The CPU-time meter behind the gateway's Edge Runtime CPU limit
 * (local-stack/functions/cpu_time_meter.ts): per-request shares of a process's
 * CPU time read from /proc, and the limit's configuration.
 */
import assert from "node:assert/strict";
import { edgeRuntimeLimitsFromEnv } from "../../local-stack/edge_runtime_limits.ts";
import { CpuTimeMeter, processCpuTimeMs } from "../../local-stack/functions/cpu_time_meter.ts";
import { pollUntil } from "../support/poll.ts";

/** A meter over a fake process whose CPU time the test sets. */
function fakeProcess(limitMs: number) {
  const state = { pid: 100 as number | undefined, cpuMs: 0 };
  const meter = new CpuTimeMeter(() => state.pid, limitMs, 5, () => state.cpuMs);
  return { state, meter };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

Deno.test("processCpuTimeMs reads this process's utime + stime from /proc", () => {
  const before = processCpuTimeMs(Deno.pid);
  assert.ok(before !== undefined && before >= 0);
  // Busy until 50 ms of CPU are counted (ticks of 10 ms), or 5 s of wall time on a busy machine.
  const started = performance.now();
  let now = before;
  while (now - before < 50 && performance.now() - started < 5000) {
    now = processCpuTimeMs(Deno.pid)!;
  }
  assert.ok(now - before >= 50, `counted ${now - before} ms`);
  assert.equal(processCpuTimeMs(2 ** 22 + 7), undefined, "no such process");
});

Deno.test("CpuTimeMeter charges one request the process's CPU, once past the limit", async () => {
  const { state, meter } = fakeProcess(100);
  let exceeded = 0;
  const ticket = meter.begin(() => exceeded++);
  state.cpuMs = 90;
  await settle();
  assert.equal(exceeded, 0);
  assert.equal(ticket.chargedMs, 90);
  state.cpuMs = 100;
  await pollUntil("the limit", () => Promise.resolve(exceeded === 1 ? true : undefined), 1000, 5);
  state.cpuMs = 400;
  await settle();
  assert.equal(exceeded, 1, "called once");
  ticket.end();
});

Deno.test("CpuTimeMeter shares CPU among overlapping requests and forgets idle time", async () => {
  const { state, meter } = fakeProcess(100);
  const exceeded: string[] = [];
  const a = meter.begin(() => exceeded.push("a"));
  const b = meter.begin(() => exceeded.push("b"));
  state.cpuMs = 150;
  await settle();
  assert.deepEqual([a.chargedMs, b.chargedMs], [75, 75]);
  assert.equal(exceeded.length, 0);
  a.end();
  b.end();
  state.cpuMs = 1000; // between requests (longer than an interval): charged to nobody
  await settle();
  const c = meter.begin(() => exceeded.push("c"));
  state.cpuMs = 1050;
  await settle();
  assert.equal(c.chargedMs, 50);
  state.pid = 101; // restarted: a new process starts from its own baseline
  state.cpuMs = 5;
  await settle();
  state.cpuMs = 30;
  await settle();
  assert.equal(c.chargedMs, 75);
  assert.deepEqual(exceeded, []);
  c.end();
});

Deno.test("edgeRuntimeLimitsFromEnv reads the CPU time in seconds, hosted's 2 s otherwise", () => {
  const env = (values: Record<string, string>) => (name: string) => values[name];
  assert.equal(edgeRuntimeLimitsFromEnv(env({})).cpuTimeMs, 2000);
  assert.equal(
    edgeRuntimeLimitsFromEnv(env({ NIGHTSHIFT_EDGE_CPU_TIME_SECONDS: "0.5" })).cpuTimeMs,
    500,
  );
  assert.equal(
    edgeRuntimeLimitsFromEnv(env({ NIGHTSHIFT_EDGE_CPU_TIME_SECONDS: "-1" })).cpuTimeMs,
    2000,
  );
});
