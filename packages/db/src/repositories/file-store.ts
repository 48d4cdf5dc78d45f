import pg from 'pg';

/**
 * File bodies live in Postgres large objects, written and read in chunks over one pg connection with
 * the server-side lo_* functions: the API never holds a whole file, every API and worker host sees the
 * same bodies without a shared disk, a body and its `files` row are created (and deleted) in one
 * transaction, and pg_dump backs them up with the rest of the database.
 */
export interface FileStore {
  /**
   * Streams `body` into a new large object and inserts its `files` row in the same transaction.
   * `describe` runs after the last byte with what was read (it may throw to roll everything back, e.g.
   * when the form's `purpose` was wrong). More than `maxBytes` rolls back with FileTooLargeError.
   */
  create(
    body: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>,
    options: { maxBytes: number; describe(stats: BodyStats): NewFileRow | Promise<NewFileRow> },
  ): Promise<StoredFile>;
  /** The body of a large object from byte `fromByte`, in chunks of about `chunkBytes`. */
  read(oid: bigint, options?: { fromByte?: bigint; chunkBytes?: number }): AsyncGenerator<Buffer>;
  /** Marks the file deleted and unlinks its large object in one transaction; false if none was there. */
  remove(fileId: string, apiKeyId: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface BodyStats {
  bytes: number;
  /** Lines with something other than whitespace (a batch's requests). */
  lines: number;
}

export interface NewFileRow {
  apiKeyId: string;
  purpose: string;
  filename: string;
}

export interface StoredFile {
  id: string;
  apiKeyId: string;
  purpose: string;
  filename: string;
  bytes: bigint;
  lineCount: number;
  contentOid: bigint;
  createdAt: Date;
}

export class FileTooLargeError extends Error {
  override readonly name = 'FileTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the file is larger than ${maxBytes} bytes`);
  }
}

/** Bytes per lo_put/lo_get round trip: large enough to be fast, small enough to bound memory. */
const CHUNK_BYTES = 1 << 20;

/** Counts non-blank lines across chunks (a line of only spaces, tabs or CR is blank). */
export class LineCounter {
  lines = 0;
  private hasContent = false;
  push(chunk: Uint8Array): void {
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index] as number;
      if (byte === 0x0a) {
        if (this.hasContent) this.lines++;
        this.hasContent = false;
      } else if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) {
        this.hasContent = true;
      }
    }
  }
  end(): number {
    if (this.hasContent) this.lines++;
    this.hasContent = false;
    return this.lines;
  }
}

export function createFileStore(options: { databaseUrl: string; maxConnections?: number }): FileStore {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: 15_000,
  });
  // A server restart surfaces as an error on idle clients; the next checkout reconnects.
  pool.on('error', () => {});

  return {
    async create(body, { maxBytes, describe }) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const created = await client.query<{ oid: string }>('SELECT lo_create(0)::text AS oid');
        const oid = created.rows[0]?.oid as string;
        const counter = new LineCounter();
        let bytes = 0;
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        const flush = async () => {
          if (pendingBytes === 0) return;
          const chunk = Buffer.concat(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
          await client.query('SELECT lo_put($1::oid, $2::bigint, $3::bytea)', [oid, bytes - chunk.length, chunk]);
        };
        for await (const part of body) {
          const buffer = Buffer.isBuffer(part) ? part : Buffer.from(part);
          bytes += buffer.length;
          if (bytes > maxBytes) throw new FileTooLargeError(maxBytes);
          counter.push(buffer);
          pending.push(buffer);
          pendingBytes += buffer.length;
          if (pendingBytes >= CHUNK_BYTES) await flush();
        }
        await flush();
        const row = await describe({ bytes, lines: counter.end() });
        const inserted = await client.query<StoredFileRow>(
          `INSERT INTO files (id, api_key_id, purpose, filename, bytes, line_count, content_oid)
           VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6::bigint)
           RETURNING ${FILE_COLUMNS}`,
          [row.apiKeyId, row.purpose, row.filename, bytes, counter.lines, oid],
        );
        await client.query('COMMIT');
        return toStoredFile(inserted.rows[0] as StoredFileRow);
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async *read(oid, readOptions = {}) {
      const chunkBytes = readOptions.chunkBytes ?? CHUNK_BYTES;
      let offset = readOptions.fromByte ?? 0n;
      for (;;) {
        // lo_get needs no transaction: each read is its own statement, so a slow reader holds no
        // connection between chunks.
        const result = await pool.query<{ chunk: Buffer }>('SELECT lo_get($1::oid, $2::bigint, $3::int) AS chunk', [
          oid.toString(),
          offset.toString(),
          chunkBytes,
        ]);
        const chunk = result.rows[0]?.chunk;
        if (!chunk || chunk.length === 0) return;
        offset += BigInt(chunk.length);
        yield chunk;
        if (chunk.length < chunkBytes) return;
      }
    },
    async remove(fileId, apiKeyId) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const found = await client.query<{ content_oid: string | null }>(
          `UPDATE files SET deleted_at = now() WHERE id = $1 AND api_key_id = $2 AND deleted_at IS NULL
           RETURNING content_oid::text`,
          [fileId, apiKeyId],
        );
        const row = found.rows[0];
        if (row?.content_oid) await client.query('SELECT lo_unlink($1::oid)', [row.content_oid]);
        await client.query('COMMIT');
        return row !== undefined;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}

const FILE_COLUMNS = 'id, api_key_id, purpose, filename, bytes::text, line_count, content_oid::text, created_at';

interface StoredFileRow {
  id: string;
  api_key_id: string;
  purpose: string;
  filename: string;
  bytes: string;
  line_count: number;
  content_oid: string;
  created_at: Date;
}

function toStoredFile(row: StoredFileRow): StoredFile {
  return {
    id: row.id,
    apiKeyId: row.api_key_id,
    purpose: row.purpose,
    filename: row.filename,
    bytes: BigInt(row.bytes),
    lineCount: row.line_count,
    contentOid: BigInt(row.content_oid),
    createdAt: row.created_at,
  };
}
