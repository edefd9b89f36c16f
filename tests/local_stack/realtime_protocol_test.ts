/**
 * The Phoenix wire formats of the Realtime emulation, checked against the
 * decoder of the pinned realtime-js (`lib/serializer.js`, protocol 2.0.0) and
 * supabase/realtime `lib/realtime_web/socket/v2_serializer.ex` (user broadcast frame).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeMessage,
  encodeBroadcast,
  encodeMessage,
  type PhoenixMessage,
  ProtocolError,
  protocolVersion,
} from "../../local-stack/realtime/protocol.ts";
import * as serializerModule from "@supabase/realtime-js/dist/module/lib/serializer.js";

/** realtime-js's serializer class (its dist is loaded as CommonJS, so `default` may nest). */
interface RealtimeJsSerializer {
  decode(raw: ArrayBuffer | string, callback: (decoded: unknown) => void): void;
}
const namespace = serializerModule as unknown as {
  default: (new () => RealtimeJsSerializer) | { default: new () => RealtimeJsSerializer };
};
const Serializer = typeof namespace.default === "function"
  ? namespace.default
  : namespace.default.default;

const message = fc.record({
  joinRef: fc.option(fc.string(), { nil: null }),
  ref: fc.option(fc.string(), { nil: null }),
  topic: fc.string(),
  event: fc.string(),
  payload: fc.dictionary(fc.string(), fc.jsonValue()),
});

Deno.test("protocol versions follow the vsn parameter", () => {
  assert.equal(protocolVersion(null), "1.0.0");
  assert.equal(protocolVersion("1.0.0"), "1.0.0");
  assert.equal(protocolVersion("2.0.0"), "2.0.0");
  assert.equal(protocolVersion("3.0.0"), undefined);
});

Deno.test("text frames round-trip in both versions", () => {
  fc.assert(fc.property(message, fc.constantFrom("1.0.0", "2.0.0"), (m, version) => {
    const decoded = decodeMessage(
      version as "1.0.0" | "2.0.0",
      encodeMessage(version as "2.0.0", m),
    );
    assert.deepEqual(decoded, JSON.parse(JSON.stringify(m)) as PhoenixMessage);
  }));
});

Deno.test("any other frame is a ProtocolError, never another exception", () => {
  fc.assert(fc.property(fc.string(), fc.constantFrom("1.0.0", "2.0.0"), (text, version) => {
    try {
      decodeMessage(version as "1.0.0" | "2.0.0", text);
    } catch (error) {
      assert.ok(error instanceof ProtocolError, String(error));
    }
  }));
});

Deno.test("a broadcast frame decodes in realtime-js as the same broadcast", () => {
  const serializer = new Serializer();
  fc.assert(fc.property(
    fc.string({ maxLength: 60 }),
    fc.string({ maxLength: 60 }),
    fc.uuid(),
    fc.jsonValue(),
    (subTopic, event, id, payload) => {
      const topic = `realtime:${subTopic}`;
      const frame = encodeBroadcast("2.0.0", {
        topic,
        event,
        payloadJson: JSON.stringify(payload),
        meta: { id },
      }) as Uint8Array;
      let decoded: unknown;
      serializer.decode(frame.slice().buffer, (value) => (decoded = value));
      assert.deepEqual(decoded, {
        join_ref: null,
        ref: null,
        topic,
        event: "broadcast",
        payload: {
          type: "broadcast",
          event,
          payload: JSON.parse(JSON.stringify(payload)),
          meta: { id },
        },
      });
    },
  ));
});
