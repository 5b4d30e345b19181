/** Weibo's answers are a few hundred bytes: anything longer than 1 MiB is refused unread. */
export const MAX_WEIBO_BODY_BYTES = 1_048_576;

/** The answer was longer than the limit; the rest of it was never read. */
export class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge';

  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

/**
 * Reads a response body as UTF-8 text, holding at most `limit` bytes plus one chunk: once the
 * limit is passed (or a Content-Length announces it will be) the stream is cancelled, which
 * closes the connection, and BodyTooLarge is thrown. Read errors (an abort included) propagate.
 */
export async function readBoundedText(
  response: { headers: Headers; body: ReadableStream<Uint8Array> | null },
  limit: number,
): Promise<string> {
  const { body } = response;
  if (body === null) return '';
  const reader = body.getReader();
  try {
    if (Number(response.headers.get('content-length') ?? 0) > limit) throw new BodyTooLarge(limit);
    const decoder = new TextDecoder('utf-8');
    let received = 0;
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      received += value.byteLength;
      if (received > limit) throw new BodyTooLarge(limit);
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    // A no-op once the body is fully read; otherwise it drops the connection.
    reader.cancel().catch(() => {});
  }
}
