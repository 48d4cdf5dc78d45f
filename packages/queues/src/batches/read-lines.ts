/** One physical line of a batch input file. */
export type InputLine = {
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset just past this line (its newline included): the cursor to resume after it. */
  endByte: bigint;
} & (
  | { kind: 'blank' }
  | { kind: 'text'; text: string }
  | { kind: 'invalid'; code: 'line_too_long' | 'invalid_utf8'; message: string }
);

/**
 * Splits a byte stream into lines without ever holding more than one line (up to `maxLineBytes`):
 * a longer line is skipped to its newline and reported, not buffered. `start` is where the stream
 * begins in the file (a resumed expansion), so line numbers and offsets are the file's.
 */
export async function* readLines(
  chunks: AsyncIterable<Buffer>,
  start: { byte: bigint; line: number },
  maxLineBytes: number,
): AsyncGenerator<InputLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let parts: Buffer[] = [];
  let partBytes = 0;
  let lineBytes = 0;
  let offset = start.byte;
  let line = start.line;
  const finish = (): InputLine => {
    line += 1;
    const endByte = offset;
    const tooLong = lineBytes > maxLineBytes;
    const bytes = tooLong ? null : Buffer.concat(parts, partBytes);
    parts = [];
    partBytes = 0;
    const size = lineBytes;
    lineBytes = 0;
    if (bytes === null) {
      return {
        line,
        endByte,
        kind: 'invalid',
        code: 'line_too_long',
        message: `the line has ${size} bytes; at most ${maxLineBytes} are accepted`,
      };
    }
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return { line, endByte, kind: 'invalid', code: 'invalid_utf8', message: 'the line is not valid UTF-8' };
    }
    if (text.trim().length === 0) return { line, endByte, kind: 'blank' };
    return { line, endByte, kind: 'text', text: text.endsWith('\r') ? text.slice(0, -1) : text };
  };
  const keep = (piece: Buffer) => {
    lineBytes += piece.length;
    if (lineBytes <= maxLineBytes) {
      parts.push(piece);
      partBytes += piece.length;
    } else if (parts.length > 0) {
      parts = [];
      partBytes = 0;
    }
  };
  for await (const chunk of chunks) {
    let position = 0;
    while (position < chunk.length) {
      const newline = chunk.indexOf(0x0a, position);
      if (newline === -1) {
        keep(chunk.subarray(position));
        offset += BigInt(chunk.length - position);
        break;
      }
      keep(chunk.subarray(position, newline));
      offset += BigInt(newline - position + 1);
      position = newline + 1;
      yield finish();
    }
  }
  if (lineBytes > 0) yield finish();
}
