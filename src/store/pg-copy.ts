/**
 * COPY … FROM STDIN (FORMAT binary) for node-postgres, which has no COPY API of its own: an encoder
 * of PostgreSQL's binary copy format (PostgreSQL docs, "COPY", "Binary Format") into a reused
 * Buffer, and a Submittable (an object `client.query()` runs in place of its own Query: pg calls
 * `submit`, then the `handle*` methods as the server's messages arrive, client.js) that sends it.
 *
 * Why (issue 16, `probe --store postgres://…`): the batch statement it replaces sent each column as
 * a JSON array that the server parsed, expanded with table functions and joined by ordinal; binary
 * COPY hands the server length-prefixed field bytes, and COPY inserts through heap_multi_insert
 * (one WAL record per page, not per tuple). The client writes each field straight into the buffer:
 * no JSON.stringify of column arrays, and the binary format has no escaping.
 */
import type { RecordText } from './rows.js';

/** "PGCOPY\n\377\r\n\0", then the flags field (int32 0: no OIDs) and the header extension length (int32 0). */
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);

/** A value the binary format cannot carry for its column type (the batch fails, as a refused row would). */
export class CopyValueError extends Error {
  readonly code = 'E_COPY_VALUE';
}

/**
 * One COPY's data: the header, then per row the field count (int16) and per field its length
 * (int32, -1 for NULL) and bytes, then the trailer (int16 -1). Integers are big-endian (network
 * order); text is its UTF-8 bytes (the text type's binary form is its characters in the client
 * encoding, UTF8 for a UTF8 database, PostgreSQL's textsend/textrecv); bool is one byte.
 * The buffer grows and is kept: a run's batches reuse the same few MB.
 */
export class CopyEncoder {
  private buf: Buffer;
  private at = 0;

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafeSlow(initial);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /** Start a new COPY's data (what was encoded before is dropped). */
  begin(): this {
    this.at = 0;
    this.room(HEADER.length);
    this.at += HEADER.copy(this.buf, this.at);
    return this;
  }

  /** A row of `fields` fields follows. */
  row(fields: number): this {
    this.room(2);
    this.at = this.buf.writeInt16BE(fields, this.at);
    return this;
  }

  null(): this {
    this.room(4);
    this.at = this.buf.writeInt32BE(-1, this.at);
    return this;
  }

  /**
   * A text field from a string (its UTF-8 bytes, as Buffer.write makes them: a lone surrogate
   * becomes U+FFFD, as it does in pg's own parameters) or from bytes already UTF-8 (a RecordPack view).
   */
  text(v: RecordText | null | undefined): this {
    if (v === null || v === undefined) return this.null();
    if (typeof v === 'string') {
      // UTF-8 needs at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units).
      this.room(4 + v.length * 3);
      const n = this.buf.write(v, this.at + 4, 'utf8');
      this.buf.writeInt32BE(n, this.at);
      this.at += 4 + n;
    } else {
      this.room(4 + v.length);
      this.buf.writeInt32BE(v.length, this.at);
      this.at += 4 + v.copy(this.buf, this.at + 4);
    }
    return this;
  }

  /** int4 (INTEGER). */
  int4(v: number | null | undefined): this {
    if (v === null || v === undefined) return this.null();
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new CopyValueError(`not an int4: ${String(v)}`);
    this.room(8);
    this.buf.writeInt32BE(4, this.at);
    this.at = this.buf.writeInt32BE(v, this.at + 4);
    return this;
  }

  /** int8 (BIGINT): a safe integer, a bigint, or the decimal string pg returns for a bigint. */
  int8(v: number | bigint | string | null | undefined): this {
    if (v === null || v === undefined) return this.null();
    let b: bigint;
    if (typeof v === 'bigint') b = v;
    else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
    else if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) b = BigInt(v);
    else throw new CopyValueError(`not an int8: ${String(v)}`);
    if (b < -(2n ** 63n) || b >= 2n ** 63n) throw new CopyValueError(`not an int8: ${String(v)}`);
    this.room(12);
    this.buf.writeInt32BE(8, this.at);
    this.at = this.buf.writeBigInt64BE(b, this.at + 4);
    return this;
  }

  bool(v: boolean | null | undefined): this {
    if (v === null || v === undefined) return this.null();
    this.room(5);
    this.buf.writeInt32BE(1, this.at);
    this.buf[this.at + 4] = v ? 1 : 0;
    this.at += 5;
    return this;
  }

  /**
   * The trailer; the data so far, a view of the reused buffer (valid until the next begin(): send
   * it first; pg's CopyData serialisation copies it, pg-protocol serializer.copyData).
   */
  end(): Buffer {
    this.room(2);
    this.at = this.buf.writeInt16BE(-1, this.at);
    return this.buf.subarray(0, this.at);
  }
}

/** The slice of pg's Connection a COPY uses (pg/lib/connection.js). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * CopyData messages of at most this many bytes: pg copies each into a new buffer with its header,
 * so one 5 MB message would be a 5 MB allocation per table per batch.
 */
const CHUNK = 1 << 18;

/**
 * `client.query(new CopyFrom(sql, data))` runs `sql` in the simple query protocol: one statement
 * or several separated by semicolons, of which the COPY … FROM STDIN ones take `data[0]`,
 * `data[1]`, … in order, each when the server answers its CopyInResponse (then CopyDone). Several
 * statements in one simple Query run as one implicit transaction (PostgreSQL docs, "Multiple
 * Statements in a Simple Query"): all commit or none. `done` settles with the rows each COPY copied
 * (the CommandComplete tags "COPY n") once the server is ready for the next query, or with the
 * server's error: in copy-in mode the server discards the rest of the data after an error and
 * answers ErrorResponse then ReadyForQuery ("Message Flow", "COPY Operations"), which pg routes to
 * handleError. The buffers are copied as they are sent (pg-protocol serializer.copyData): the
 * caller may reuse them once `done` settles, not before.
 */
export class CopyFrom {
  readonly done: Promise<number[]>;
  private settle!: (err: Error | null) => void;
  private readonly rows: number[] = [];
  private next = 0;
  /** pg sets this when the caller passes one to query(); we settle through it too. */
  callback: ((err: Error | null, rows?: number[]) => void) | undefined;

  constructor(
    private readonly sql: string,
    private data: readonly Buffer[],
  ) {
    this.done = new Promise<number[]>((resolve, reject) => {
      let settled = false;
      this.settle = (err) => {
        if (settled) return;
        settled = true;
        this.data = [];
        if (err) reject(err);
        else resolve(this.rows);
        this.callback?.(err, this.rows);
      };
    });
    // A caller awaiting `done` sees the error; this keeps an unawaited one from crashing the process.
    this.done.catch(() => {});
  }

  submit(connection: CopyConnection): void {
    connection.query(this.sql);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    const data = this.data[this.next++];
    if (data === undefined) {
      // More COPYs in the SQL than buffers: refuse it rather than hang (the whole query fails).
      connection.sendCopyFail('mxprobe: no data for this COPY');
      return;
    }
    for (let o = 0; o < data.length; o += CHUNK) connection.sendCopyFromChunk(data.subarray(o, Math.min(o + CHUNK, data.length)));
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)$/.exec(msg.text ?? '');
    if (m) this.rows.push(Number(m[1]));
  }

  handleError(err: Error): void {
    this.settle(err);
  }

  handleReadyForQuery(): void {
    if (this.next !== this.data.length) this.settle(new Error(`COPY: ${this.next} of ${this.data.length} data sent (${this.sql.slice(0, 80)})`));
    else this.settle(null);
  }

  // Messages a COPY FROM does not get; pg may still call these, so they exist.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Run `sql` with its COPY data on a client; the rows each COPY copied. */
export function copyFrom(client: { query(q: CopyFrom): unknown }, sql: string, data: readonly Buffer[]): Promise<number[]> {
  const c = new CopyFrom(sql, data);
  client.query(c);
  return c.done;
}
