/**
 * The part of PostgreSQL's logical replication protocol the broadcast reader
 * needs (https://www.postgresql.org/docs/15/protocol-replication.html and
 * protocol-logicalrep-message-formats.html, pgoutput `proto_version '1'`):
 * CopyData messages `w` (XLogData: 1 + 8 start LSN + 8 end LSN + 8 clock, then
 * one pgoutput message) and `k` (primary keepalive: 1 + 8 end LSN + 8 clock +
 * 1 reply-requested), Relation (`R`) and Insert (`I`) messages decoded, every
 * other pgoutput message ignored. Column values stay in their text form.
 */

/** A relation as a Relation message describes it. */
export interface Relation {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly string[];
}

/** An inserted row: column name → text value (null for SQL NULL). */
export type TextRow = Record<string, string | null>;

/** What one CopyData message of the stream was. */
export type StreamMessage =
  | { readonly kind: "insert"; readonly relation: Relation; readonly row: TextRow }
  | { readonly kind: "keepalive"; readonly walEnd: bigint; readonly replyRequested: boolean }
  | { readonly kind: "other" };

const decoder = new TextDecoder();

/**
 * Decodes CopyData messages, remembering the Relation messages it saw (an
 * Insert names its relation by OID; a Relation message comes first on each
 * connection). One decoder per replication connection.
 */
export class PgOutputDecoder {
  private readonly relations = new Map<number, Relation>();
  /** Highest WAL position received (for standby status updates). */
  walPosition = 0n;

  /** Decodes one CopyData payload. Throws RangeError on a truncated message. */
  decode(data: Uint8Array): StreamMessage {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data[0] === 0x6b) { // k: primary keepalive
      const walEnd = view.getBigUint64(1);
      if (walEnd > this.walPosition) this.walPosition = walEnd;
      return { kind: "keepalive", walEnd, replyRequested: data[17] === 1 };
    }
    if (data[0] !== 0x77) return { kind: "other" }; // w: XLogData
    const end = view.getBigUint64(9);
    if (end > this.walPosition) this.walPosition = end;
    const message = new Reader(data.subarray(25));
    const type = message.byte();
    if (type === 0x52) this.relation(message); // R
    else if (type === 0x49) return this.insert(message); // I
    return { kind: "other" };
  }

  private relation(message: Reader): void {
    const oid = message.int32();
    const schema = message.string() || "pg_catalog";
    const table = message.string();
    message.byte(); // replica identity
    const count = message.int16();
    const columns: string[] = [];
    for (let i = 0; i < count; i++) {
      message.byte(); // flags (part of the key)
      columns.push(message.string());
      message.int32(); // type OID
      message.int32(); // type modifier
    }
    this.relations.set(oid, { schema, table, columns });
  }

  private insert(message: Reader): StreamMessage {
    const relation = this.relations.get(message.int32());
    if (!relation) return { kind: "other" };
    message.byte(); // N: new tuple
    const count = message.int16();
    const row: TextRow = {};
    for (let i = 0; i < count; i++) {
      const kind = message.byte();
      const name = relation.columns[i] ?? `column_${i}`;
      // n: null; u: unchanged TOASTed value (not sent on inserts); t: text.
      row[name] = kind === 0x74 ? message.text(message.int32()) : null;
    }
    return { kind: "insert", relation, row };
  }
}

/**
 * A Standby Status Update (`r`) confirming `position` as written, flushed and
 * applied, with the client clock in microseconds since 2000-01-01, and no reply asked.
 */
export function standbyStatusUpdate(position: bigint, now = Date.now()): Uint8Array {
  const message = new Uint8Array(34);
  const view = new DataView(message.buffer);
  message[0] = 0x72;
  view.setBigUint64(1, position);
  view.setBigUint64(9, position);
  view.setBigUint64(17, position);
  view.setBigInt64(25, BigInt(now - Date.UTC(2000, 0, 1)) * 1000n);
  return message;
}

class Reader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  byte(): number {
    this.need(1);
    return this.data[this.offset++]!;
  }

  int16(): number {
    this.need(2);
    const value = this.view.getInt16(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.view.getInt32(this.offset);
    this.offset += 4;
    return value;
  }

  /** A NUL-terminated string. */
  string(): string {
    const end = this.data.indexOf(0, this.offset);
    if (end < 0) throw new RangeError("Cannot decode pgoutput: unterminated string");
    const value = decoder.decode(this.data.subarray(this.offset, end));
    this.offset = end + 1;
    return value;
  }

  text(length: number): string {
    this.need(length);
    const value = decoder.decode(this.data.subarray(this.offset, this.offset + length));
    this.offset += length;
    return value;
  }

  private need(bytes: number): void {
    if (bytes < 0 || this.offset + bytes > this.data.length) {
      throw new RangeError(`Cannot decode pgoutput: message truncated at byte ${this.offset}`);
    }
  }
}
