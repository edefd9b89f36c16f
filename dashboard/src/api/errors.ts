/** An error answered by the admin API: `{"error":{"code","message","details"}}` and its status. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Reads an API answer: the JSON body, or throws {@linkcode ApiError}. */
export async function readAnswer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(
      response.status,
      "invalid_response",
      `Unexpected answer: ${text.slice(0, 200)}`,
    );
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string; details?: unknown } })
      ?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? (body as { msg?: string })?.msg ?? `HTTP ${response.status}`,
      error?.details,
    );
  }
  return body as T;
}
