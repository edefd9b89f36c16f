/**
 * HTTP/1.1 over a raw TCP connection, for requests `fetch` cannot send: a POST
 * with neither Content-Length nor Transfer-Encoding, as `curl -X POST` without
 * data sends it (fetch adds `Content-Length: 0`).
 */

/**
 * Sends `head` (request line and headers, CRLF-terminated) plus
 * `Host` and `Connection: close` over a raw TCP connection, so no client adds a
 * Content-Length; returns the status and the de-chunked body.
 */
export async function rawRequest(
  port: number,
  head: string,
): Promise<{ status: number; body: string; text: string }> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  await connection.write(
    new TextEncoder().encode(`${head}Host: 127.0.0.1\r\nConnection: close\r\n\r\n`),
  );
  const text = await new Response(connection.readable).text();
  const [headPart, ...rest] = text.split("\r\n\r\n");
  let body = rest.join("\r\n\r\n");
  if (/^transfer-encoding:\s*chunked/im.test(headPart!)) {
    let decoded = "";
    for (;;) {
      const lineEnd = body.indexOf("\r\n");
      const size = parseInt(body.slice(0, lineEnd), 16);
      if (!size) break;
      decoded += body.slice(lineEnd + 2, lineEnd + 2 + size);
      body = body.slice(lineEnd + 2 + size + 2);
    }
    body = decoded;
  }
  return { status: Number(headPart!.split(" ")[1]), body, text };
}
