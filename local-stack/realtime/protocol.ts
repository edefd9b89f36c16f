/**
 * The Phoenix channel wire formats Supabase Realtime speaks (supabase/realtime
 * `lib/realtime_web/endpoint.ex`: `Phoenix.Socket.V1.JSONSerializer` for vsn
 * 1.0.0, `RealtimeWeb.Socket.V2Serializer` for 2.0.0). realtime-js 2.119.1
 * connects with vsn 2.0.0 by default (`lib/constants.js`, `DEFAULT_VSN`).
 *
 * - 1.0.0: text frames `{"join_ref","ref","topic","event","payload"}`.
 * - 2.0.0: text frames `[join_ref, ref, topic, event, payload]`; a broadcast from
 *   the database is a binary "user broadcast" frame (kind 4): kind, topic size,
 *   event size, metadata size, payload encoding (1 = JSON), then topic, event,
 *   metadata JSON and the payload bytes (`V2Serializer.fastlane!/1`).
 */

/** Protocol versions served. */
export type ProtocolVersion = "1.0.0" | "2.0.0";

/** One Phoenix message. */
export interface PhoenixMessage {
  readonly joinRef: string | null;
  readonly ref: string | null;
  readonly topic: string;
  readonly event: string;
  readonly payload: unknown;
}

/** Thrown for a frame that is not a Phoenix message. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** Picks the version from the `vsn` query parameter (absent: 1.0.0, as Phoenix). */
export function protocolVersion(vsn: string | null): ProtocolVersion | undefined {
  if (vsn === null || vsn === "" || vsn.startsWith("1.")) return "1.0.0";
  if (vsn.startsWith("2.")) return "2.0.0";
  return undefined;
}

/** Decodes a text frame. */
export function decodeMessage(version: ProtocolVersion, text: string): PhoenixMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError("Frame is not JSON");
  }
  if (version === "2.0.0") {
    if (!Array.isArray(raw) || raw.length !== 5) throw new ProtocolError("Expected a 5-array");
    const [joinRef, ref, topic, event, payload] = raw;
    return checked({ joinRef, ref, topic, event, payload });
  }
  if (typeof raw !== "object" || raw === null) throw new ProtocolError("Expected an object");
  const { join_ref, ref, topic, event, payload } = raw as Record<string, unknown>;
  return checked({ joinRef: join_ref ?? null, ref: ref ?? null, topic, event, payload });
}

function checked(fields: Record<string, unknown>): PhoenixMessage {
  const { joinRef, ref, topic, event, payload } = fields;
  const refOk = (value: unknown) =>
    value === null || value === undefined || typeof value === "string";
  if (typeof topic !== "string" || typeof event !== "string" || !refOk(joinRef) || !refOk(ref)) {
    throw new ProtocolError("Malformed message fields");
  }
  return {
    joinRef: (joinRef as string | null | undefined) ?? null,
    ref: (ref as string | null | undefined) ?? null,
    topic,
    event,
    payload: payload ?? {},
  };
}

/** Encodes a message as a text frame. */
export function encodeMessage(version: ProtocolVersion, message: PhoenixMessage): string {
  if (version === "2.0.0") {
    return JSON.stringify([
      message.joinRef,
      message.ref,
      message.topic,
      message.event,
      message.payload,
    ]);
  }
  return JSON.stringify({
    join_ref: message.joinRef,
    ref: message.ref,
    topic: message.topic,
    event: message.event,
    payload: message.payload,
  });
}

/** A reply (`phx_reply`) to the message with `ref`. */
export function reply(
  request: PhoenixMessage,
  status: "ok" | "error",
  response: unknown,
): PhoenixMessage {
  return {
    joinRef: request.joinRef,
    ref: request.ref,
    topic: request.topic,
    event: "phx_reply",
    payload: { status, response },
  };
}

/** A broadcast as the channel's subscribers receive it. */
export interface BroadcastFrame {
  /** Channel topic, `realtime:<sub topic>`. */
  readonly topic: string;
  /** The user's event name. */
  readonly event: string;
  /** The payload as JSON text. */
  readonly payloadJson: string;
  /** Metadata; Realtime sends `{"id": <message id>}` for database broadcasts. */
  readonly meta: Readonly<Record<string, unknown>>;
}

/** Encodes a broadcast frame for the version (binary for 2.0.0, text for 1.0.0). */
export function encodeBroadcast(
  version: ProtocolVersion,
  frame: BroadcastFrame,
): string | Uint8Array {
  if (version === "1.0.0") {
    return `{"join_ref":null,"ref":null,"topic":${JSON.stringify(frame.topic)},` +
      `"event":"broadcast","payload":{"type":"broadcast","event":${
        JSON.stringify(frame.event)
      },"meta":${JSON.stringify(frame.meta)},"payload":${frame.payloadJson}}}`;
  }
  const encoder = new TextEncoder();
  const topic = encoder.encode(frame.topic);
  const event = encoder.encode(frame.event);
  const meta = encoder.encode(JSON.stringify(frame.meta));
  const payload = encoder.encode(frame.payloadJson);
  for (const [name, bytes] of [["topic", topic], ["event", event], ["metadata", meta]] as const) {
    if (bytes.length > 255) throw new ProtocolError(`Broadcast ${name} exceeds 255 bytes`);
  }
  const header = [4, topic.length, event.length, meta.length, 1];
  const out = new Uint8Array(
    header.length + topic.length + event.length + meta.length + payload.length,
  );
  out.set(header, 0);
  let offset = header.length;
  for (const part of [topic, event, meta, payload]) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
