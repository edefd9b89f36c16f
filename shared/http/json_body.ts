import type { z } from "zod";
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "./errors.ts";
import { parseOrThrow } from "./validation.ts";

/** Largest JSON body accepted by default, in bytes. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/**
 * Reads and validates a JSON request body: 415 unless `Content-Type` is JSON,
 * 413 past `maxBytes` (counted while streaming, not trusted from headers),
 * 400 for malformed JSON or a body the schema refuses.
 */
export async function readJsonBody<T extends z.ZodType>(
  request: Request,
  schema: T,
  maxBytes: number = DEFAULT_MAX_BODY_BYTES,
): Promise<z.infer<T>> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(contentType)) throw new UnsupportedMediaTypeError();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        throw new PayloadTooLargeError(`Body too large: at most ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new InvalidRequestError("Malformed JSON body: send a JSON object");
  }
  return parseOrThrow(schema, value, "body");
}
