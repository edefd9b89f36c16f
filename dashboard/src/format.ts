/** Display formats of the dashboard (en-GB, UTC where times are shown). */

export function formatCount(value: number | null | undefined): string {
  return value == null ? "–" : value.toLocaleString("en-GB");
}

export function formatBytes(value: number | null | undefined): string {
  if (value == null) return "–";
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

/** A ratio in 0..1 as a percentage with one decimal; "–" when unknown. */
export function formatRate(value: number | null | undefined): string {
  return value == null ? "–" : `${(value * 100).toFixed(1)}%`;
}

export function formatMs(value: number | "+Inf" | null | undefined): string {
  if (value == null) return "–";
  if (value === "+Inf") return "> 10 s";
  return `≤ ${value.toLocaleString("en-GB")} ms`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms == null) return "–";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS UTC`. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  return `${new Date(iso).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
