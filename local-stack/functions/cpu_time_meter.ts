/**
 * CPU time of a function process, read from `/proc/<pid>/stat` (fields 14
 * utime and 15 stime, in clock ticks of 1/100 s: `sysconf(_SC_CLK_TCK)` is 100
 * on Linux; proc(5)). Undefined when the process is gone or /proc is absent.
 */
export function processCpuTimeMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) * 10;
}

/** One request being metered: `end()` once its response is complete or failed. */
export interface CpuTimeTicket {
  /** CPU time charged to this request so far, ms. */
  readonly chargedMs: number;
  end(): void;
}

interface Tracked {
  chargedMs: number;
  readonly onExceeded: () => void;
}

/**
 * Emulates the Edge Runtime's CPU-time limit for one function process
 * (hosted: 2 s per request; supabase/edge-runtime
 * `crates/base/src/worker/supervisor/strategy_per_worker.rs` measures the
 * isolate thread's CPU time and shuts the worker down with `CPUTime` at the
 * hard limit). Here the whole process's CPU time is sampled every `intervalMs`
 * while requests are in flight, and each sample's increase is shared equally
 * among the requests in flight then (exact for one request at a time; an
 * approximation when requests overlap, and it counts Deno's own threads: GC,
 * HTTP). A request whose share reaches `limitMs` gets `onExceeded` called once.
 * CPU spent while no request is in flight (after the response, `waitUntil`
 * work) is charged to nobody, except up to one interval's worth before a
 * request that starts within an interval of the last reading.
 */
export class CpuTimeMeter {
  private readonly inFlight = new Set<Tracked>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private last: { pid: number; cpuMs: number; at: number } | undefined;

  constructor(
    /** The process's pid now (undefined while it is not running). */
    private readonly pid: () => number | undefined,
    /** CPU time a request may use, ms. */
    readonly limitMs: number,
    /** Sampling period, ms. @default 50 */
    private readonly intervalMs = 50,
    private readonly readCpuMs: (pid: number) => number | undefined = processCpuTimeMs,
  ) {}

  /** Starts metering a request; `onExceeded` runs (once) when its share reaches the limit. */
  begin(onExceeded: () => void): CpuTimeTicket {
    if (this.inFlight.size === 0) {
      // A reading under one interval old stays the baseline: /proc is read at most
      // once per interval, however many requests come and go (a gateway under load).
      const fresh = this.last && performance.now() - this.last.at < this.intervalMs;
      if (!fresh) this.sample();
      this.timer = setInterval(() => this.sample(), this.intervalMs);
    }
    const tracked: Tracked = { chargedMs: 0, onExceeded };
    this.inFlight.add(tracked);
    return {
      get chargedMs() {
        return tracked.chargedMs;
      },
      end: () => {
        // Its share since the last sample (under one interval) goes to the others.
        if (!this.inFlight.delete(tracked)) return;
        if (this.inFlight.size === 0) clearInterval(this.timer);
      },
    };
  }

  /** Reads the process's CPU time and charges the increase to the requests in flight. */
  private sample(): void {
    const pid = this.pid();
    const cpuMs = pid === undefined ? undefined : this.readCpuMs(pid);
    if (pid === undefined || cpuMs === undefined) return;
    const previous = this.last;
    this.last = { pid, cpuMs, at: performance.now() };
    if (!previous || previous.pid !== pid || this.inFlight.size === 0) return;
    const share = Math.max(0, cpuMs - previous.cpuMs) / this.inFlight.size;
    for (const tracked of [...this.inFlight]) {
      tracked.chargedMs += share;
      if (tracked.chargedMs >= this.limitMs) {
        this.inFlight.delete(tracked);
        tracked.onExceeded();
      }
    }
    if (this.inFlight.size === 0) clearInterval(this.timer);
  }
}
