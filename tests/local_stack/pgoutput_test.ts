/**
 * The pgoutput decoder of the broadcast reader against messages built as
 * PostgreSQL 15 writes them (protocol-logicalrep-message-formats.html:
 * Relation `R`, Insert `I` with TupleData `n`/`t`, inside XLogData `w`;
 * primary keepalive `k`; Standby Status Update `r` of protocol-replication.html).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { PgOutputDecoder, standbyStatusUpdate } from "../../local-stack/realtime/pgoutput.ts";

const encoder = new TextEncoder();

function bytes(...parts: (number[] | Uint8Array)[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}
const int16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const int32 = (n: number) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const cstring = (text: string) => bytes(encoder.encode(text), [0]);
const int64 = (n: bigint) => [...Array(8)].map((_, i) => Number((n >> BigInt(56 - 8 * i)) & 0xffn));

/** XLogData wrapping one pgoutput message, ending at `end`. */
function xlog(message: Uint8Array, end = 0x10n): Uint8Array {
  return bytes([0x77], int64(end - 1n), int64(end), int64(0n), message);
}

function relation(oid: number, schema: string, table: string, columns: string[]): Uint8Array {
  return xlog(bytes(
    [0x52],
    int32(oid),
    cstring(schema),
    cstring(table),
    [0x64], // replica identity: default
    int16(columns.length),
    ...columns.map((name) => bytes([0], cstring(name), int32(25), int32(-1))),
  ));
}

function insert(oid: number, values: (string | null)[]): Uint8Array {
  return xlog(bytes(
    [0x49],
    int32(oid),
    [0x4e],
    int16(values.length),
    ...values.map((value) => {
      if (value === null) return bytes([0x6e]);
      const text = encoder.encode(value);
      return bytes([0x74], int32(text.length), text);
    }),
  ));
}

Deno.test("PgOutputDecoder reads inserted rows by their relation, text and nulls alike", () => {
  fc.assert(fc.property(
    fc.array(fc.option(fc.string({ unit: "grapheme" }), { nil: null }), {
      minLength: 1,
      maxLength: 6,
    }),
    fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    (values, oid) => {
      const decoder = new PgOutputDecoder();
      const columns = values.map((_, i) => `c${i}`);
      assert.deepEqual(decoder.decode(relation(oid, "realtime", "messages_2026_11_30", columns)), {
        kind: "other",
      });
      const message = decoder.decode(insert(oid, values));
      assert.equal(message.kind, "insert");
      if (message.kind !== "insert") return;
      assert.equal(message.relation.schema, "realtime");
      assert.equal(message.relation.table, "messages_2026_11_30");
      assert.deepEqual(message.row, Object.fromEntries(columns.map((c, i) => [c, values[i]])));
    },
  ));
});

Deno.test("PgOutputDecoder ignores inserts of unknown relations and refuses truncated ones", () => {
  const decoder = new PgOutputDecoder();
  assert.deepEqual(decoder.decode(insert(7, ["x"])), { kind: "other" });
  decoder.decode(relation(7, "realtime", "messages", ["id"]));
  const whole = insert(7, ["abcdef"]);
  assert.throws(() => decoder.decode(whole.subarray(0, whole.length - 2)), RangeError);
});

Deno.test("keepalives report their WAL end and whether a reply is asked; the reply confirms it", () => {
  const decoder = new PgOutputDecoder();
  const keepalive = bytes([0x6b], int64(0x1_0000_00aan), int64(0n), [1]);
  assert.deepEqual(decoder.decode(keepalive), {
    kind: "keepalive",
    walEnd: 0x1_0000_00aan,
    replyRequested: true,
  });
  assert.equal(decoder.walPosition, 0x1_0000_00aan);
  const reply = new DataView(standbyStatusUpdate(decoder.walPosition).buffer);
  assert.equal(reply.getUint8(0), 0x72);
  for (const offset of [1, 9, 17]) assert.equal(reply.getBigUint64(offset), 0x1_0000_00aan);
  assert.equal(reply.byteLength, 34);
});
