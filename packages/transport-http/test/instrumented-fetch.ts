import type { HttpFetch, HttpFetchInit, HttpFetchResponse } from '../src/index.js';

/** A request the client made, as `"<METHOD> <what>"`: `POST sessions`, `POST messages`, `GET messages`, `DELETE session`. */
export type RequestKind = 'POST sessions' | 'POST messages' | 'GET messages' | 'DELETE session' | 'other';

/** `globalThis.fetch` with a log of the requests, and a way to hold the polls back. */
export interface InstrumentedFetch {
  readonly fetch: HttpFetch;
  /** Every request made, in order. */
  readonly requests: RequestKind[];
  /** How many requests of a kind were made. */
  count(kind: RequestKind): number;
  /** From now on, polls wait (without reaching the server) until {@link releasePolls}. */
  holdPolls(): void;
  /** Lets held polls (and later ones) through. */
  releasePolls(): void;
  /** Rewrites the JSON answer to a session creation (e.g. to announce other limits). */
  rewriteGrant(rewrite: ((grant: Record<string, unknown>) => Record<string, unknown>) | undefined): void;
}

/** Makes an {@link InstrumentedFetch}. */
export function instrumentedFetch(): InstrumentedFetch {
  const requests: RequestKind[] = [];
  let holding = false;
  let held: Array<() => void> = [];
  let rewrite: ((grant: Record<string, unknown>) => Record<string, unknown>) | undefined;
  const fetch: HttpFetch = async (url: string, init: HttpFetchInit): Promise<HttpFetchResponse> => {
    const kind = kindOf(init.method, new URL(url).pathname);
    requests.push(kind);
    if (kind === 'GET messages' && holding) {
      await new Promise<void>((resolve, reject) => {
        held.push(resolve);
        init.signal.addEventListener('abort', () => reject(new Error('aborted while held')));
      });
    }
    const response = await globalThis.fetch(url, init);
    if (kind !== 'POST sessions' || response.status !== 201 || rewrite === undefined) return response;
    const grant = rewrite((await response.json()) as Record<string, unknown>);
    return new Response(JSON.stringify(grant), { status: 201, headers: { 'Content-Type': 'application/json' } });
  };
  return {
    fetch,
    requests,
    count: (kind) => requests.filter((request) => request === kind).length,
    holdPolls() {
      holding = true;
    },
    releasePolls() {
      holding = false;
      const waiting = held;
      held = [];
      for (const resolve of waiting) resolve();
    },
    rewriteGrant(next) {
      rewrite = next;
    },
  };
}

function kindOf(method: string, path: string): RequestKind {
  if (method === 'POST' && path.endsWith('/sessions')) return 'POST sessions';
  if (method === 'POST' && path.endsWith('/messages')) return 'POST messages';
  if (method === 'GET' && path.endsWith('/messages')) return 'GET messages';
  if (method === 'DELETE') return 'DELETE session';
  return 'other';
}
