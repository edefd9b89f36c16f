/**
 * Polls `probe` until it returns a value other than `undefined`, or throws
 * after `timeoutMs`. For effects that happen asynchronously after commit
 * (the pg_net worker, background refreshes).
 */
export async function pollUntil<T>(
  description: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
}
