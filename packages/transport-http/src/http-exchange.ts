import { bearerHeaders, type Clock } from '@softadastra/sync-core';
import type { HttpFetch, HttpFetchInit } from './http-transport-options.js';
import { MESSAGES_TYPE, REASON_HEADER } from './wire-protocol.js';

/** What came of one request: its status and whole body, or why there was no answer. @internal */
export type Exchange =
  | {
      readonly ok: true;
      readonly status: number;
      readonly body: Uint8Array;
      /** For a status outside 2xx: the text body, else the `Softadastra-Reason` header, else `HTTP <status>`. */
      readonly reason: string;
    }
  | { readonly ok: false; readonly detail: string; readonly cause: unknown };

/** One request, as {@link exchange} makes it. @internal */
export interface ExchangeRequest {
  readonly fetch: HttpFetch;
  /** The timeout's timer goes through it. */
  readonly clock: Clock;
  readonly url: string;
  readonly method: string;
  /** Sent as `Authorization: Bearer`, unless undefined or empty. */
  readonly token: string | undefined;
  /** Framed messages, sent as `application/octet-stream`. */
  readonly body: Uint8Array<ArrayBuffer> | undefined;
  /** Abort when no whole answer came within this many ms. */
  readonly timeoutMs: number;
  /** The request's controller is in it while in flight: aborting it aborts the request. */
  readonly requests: Set<AbortController>;
}

/** The most characters of an error body kept as a reason. */
const MAX_REASON_CHARS = 1_000;

/**
 * Makes one request and reads its answer to the end; never rejects.
 *
 * @remarks
 * The body is read before the timeout is cleared: a server that sends its
 * headers and then stalls counts as no answer.
 *
 * @internal
 */
export async function exchange(request: ExchangeRequest): Promise<Exchange> {
  const { clock, requests, timeoutMs, token, body, method } = request;
  const controller = new AbortController();
  requests.add(controller);
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const headers = bearerHeaders(token);
  if (body !== undefined) headers['Content-Type'] = MESSAGES_TYPE;
  const init: HttpFetchInit = body === undefined ? { method, headers, signal: controller.signal } : { method, headers, body, signal: controller.signal };
  try {
    const response = await request.fetch(request.url, init);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const status = response.status;
    let reason = '';
    if (status < 200 || status > 299) {
      reason = new TextDecoder().decode(bytes.subarray(0, 4 * MAX_REASON_CHARS)).trim().slice(0, MAX_REASON_CHARS);
      if (reason === '') reason = response.headers.get(REASON_HEADER) ?? `HTTP ${status}`;
    }
    return { ok: true, status, body: bytes, reason };
  } catch (error) {
    return { ok: false, detail: timedOut ? `no answer within ${timeoutMs} ms` : describe(error), cause: error };
  } finally {
    clock.clearTimeout(timer);
    requests.delete(controller);
  }
}

/**
 * A short description of anything thrown, with the cause `fetch` hides its
 * reason in ("fetch failed (connect ECONNREFUSED …)").
 *
 * @internal
 */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message !== '' ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
