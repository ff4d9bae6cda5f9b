import { ContentMissingError, contentSize, openContent } from '../../platform/content/content.js';
import type { TicketFile } from './tickets.js';

/**
 * A REST2 request body with attachments (`Attachments: [{FileName, FileType, FileContent}]`,
 * the content in base64, as RT 5 takes them on create, correspond and comment), written as a
 * stream: each file is read and encoded piece by piece while the request goes out, so a large
 * attachment is never held whole, encoded or not. Its exact length is known beforehand (RT's
 * server reads a request by its Content-Length).
 */
export class JsonWithFiles {
  readonly length: number;
  private readonly prefix: string;
  private readonly heads: string[];

  constructor(
    fields: Record<string, unknown>,
    private readonly files: readonly TicketFile[],
  ) {
    const json = JSON.stringify(fields);
    this.prefix = `${json.slice(0, -1)}${json === '{}' ? '' : ','}"Attachments":[`;
    this.heads = files.map(
      (f, i) =>
        `${i === 0 ? '' : ','}{"FileName":${JSON.stringify(f.filename)},"FileType":${JSON.stringify(f.contentType)},"FileContent":"`,
    );
    this.length =
      Buffer.byteLength(this.prefix) +
      this.heads.reduce((n, h) => n + Buffer.byteLength(h) + 2, 0) +
      files.reduce((n, f) => n + base64Length(contentSize(f.content)), 0) +
      2;
  }

  async *body(): AsyncGenerator<Buffer> {
    yield Buffer.from(this.prefix);
    for (const [i, f] of this.files.entries()) {
      yield Buffer.from(this.heads[i] ?? '');
      yield* base64Of(f);
      yield Buffer.from('"}');
    }
    yield Buffer.from(']}');
  }
}

const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);

/** The file's content in base64, encoded in whole groups of three bytes as it is read. */
async function* base64Of(f: TicketFile): AsyncGenerator<Buffer> {
  const expected = contentSize(f.content);
  let rest = Buffer.alloc(0);
  let read = 0;
  for await (const chunk of openContent(f.content)) {
    const data = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    read += (chunk as Buffer).length;
    const whole = data.length - (data.length % 3);
    if (whole > 0) yield Buffer.from(data.subarray(0, whole).toString('base64'));
    rest = Buffer.from(data.subarray(whole));
  }
  if (rest.length) yield Buffer.from(rest.toString('base64'));
  if (read !== expected) throw new ContentMissingError(`allegato ${f.filename}: letti ${read} byte su ${expected}`);
}
