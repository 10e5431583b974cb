import type { IncomingMessage } from 'node:http';

/** What became of a request body. @internal */
export type RequestBody =
  | { readonly kind: 'complete'; readonly bytes: Uint8Array }
  /** Over the limit: nothing was kept, the rest is being read and discarded. */
  | { readonly kind: 'too-large'; readonly limit: number }
  /** The client went away before the body ended. */
  | { readonly kind: 'aborted' };

/**
 * Reads a whole request body into memory, up to `limit` bytes.
 *
 * @remarks
 * Past the limit (or when `Content-Length` announces more), the bytes read
 * so far are dropped and the rest of the body is read and thrown away, so
 * the answer (413) reaches a client that is still sending instead of a reset
 * connection.
 *
 * @param request - the request, not yet read
 * @param limit - the most bytes kept
 * @internal
 */
export function readRequestBody(request: IncomingMessage, limit: number): Promise<RequestBody> {
  return new Promise((resolve) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      request.resume();
      resolve({ kind: 'too-large', limit });
      return;
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    let settled = false;
    const settle = (body: RequestBody): void => {
      if (settled) return;
      settled = true;
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onAbort);
      request.off('close', onAbort);
      resolve(body);
    };
    const onData = (chunk: Uint8Array): void => {
      total += chunk.length;
      if (total <= limit) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      // Keep reading (and dropping) what is left, then answer.
      request.resume();
      settle({ kind: 'too-large', limit });
    };
    const onEnd = (): void => {
      const bytes = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      settle({ kind: 'complete', bytes });
    };
    const onAbort = (): void => settle({ kind: 'aborted' });
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onAbort);
    request.on('close', onAbort);
  });
}
