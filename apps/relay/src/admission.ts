import type { IncomingMessage } from 'node:http';
import { readBearerToken } from '@softadastra/transport-websocket';
import { parseRoute } from './routes.js';
import { isRefusal, verifyToken, type TokenClaims } from './token.js';

/** Who may connect: what the relay decided about a request, before any upgrade or session. */
export interface Admission {
  readonly space: string;
  /** The token's claims; `undefined` in open mode. */
  readonly claims: TokenClaims | undefined;
  /** Whom the per-client limits count: the token's subject, or the IP address in open mode. */
  readonly client: string;
  readonly ip: string;
}

/** Why a request may not connect: an HTTP status and a reason for the client. */
export interface Refusal {
  readonly status: 400 | 401 | 403;
  readonly reason: string;
  /** For `relay_rejected_total{reason}`. */
  readonly code: 'E_BAD_REQUEST' | 'E_UNAUTHORIZED' | 'E_FORBIDDEN';
}

/** What admission reads of the relay's state: open connections per IP and spaces per client. */
export interface AdmissionState {
  readonly secret: string | undefined;
  readonly connectionsPerIp: number;
  readonly spacesPerClient: number;
  connectionsOf(ip: string): number;
  spacesOf(client: string): ReadonlyMap<string, number> | undefined;
  now(): number;
}

/**
 * Decides whether a request may connect — one function for the WebSocket
 * upgrade and for the HTTP transport's `POST …/sessions`, so that both paths
 * parse the URL, check the token and count the limits alike.
 *
 * @remarks
 * Total: any request gives an admission or a refusal, never a throw (the URL
 * goes through {@link parseRoute}, the token through `verifyToken`).
 */
export function admit(request: Pick<IncomingMessage, 'url' | 'headers' | 'socket'>, state: AdmissionState): Admission | Refusal {
  const route = parseRoute(request.url);
  if (!route.ok) return { status: route.status === 404 ? 403 : 400, reason: route.reason, code: route.status === 404 ? 'E_FORBIDDEN' : 'E_BAD_REQUEST' };
  const space = route.space;
  const ip = request.socket.remoteAddress ?? 'unknown';
  let claims: TokenClaims | undefined;
  if (state.secret !== undefined) {
    const verdict = verifyToken(readBearerToken(request), state.secret, space, state.now());
    if (isRefusal(verdict)) return { ...verdict, code: verdict.status === 401 ? 'E_UNAUTHORIZED' : 'E_FORBIDDEN' };
    claims = verdict;
  }
  if (state.connectionsOf(ip) >= state.connectionsPerIp) return { status: 403, reason: `too many connections from ${ip} (limit ${state.connectionsPerIp})`, code: 'E_FORBIDDEN' };
  const client = claims?.sub ?? ip;
  const open = state.spacesOf(client);
  if (open !== undefined && !open.has(space) && open.size >= state.spacesPerClient) {
    return { status: 403, reason: `client ${client} already has ${open.size} spaces open (limit ${state.spacesPerClient})`, code: 'E_FORBIDDEN' };
  }
  return { space, claims, client, ip };
}

/** Whether an admission result is a refusal. */
export function isAdmissionRefusal(result: Admission | Refusal): result is Refusal {
  return 'status' in result;
}
