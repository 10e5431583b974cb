import type { IncomingMessage } from 'node:http';
import { isPeerId } from '@softadastra/sync-core';
import { readBearerToken } from '@softadastra/transport-websocket';
import { parseRoute } from './routes.js';
import { checkSpace, isRefusal, type Grant, type TokenRefusal } from './token.js';

/** Who may connect: what the relay decided about a request, before any upgrade or session. */
export interface Admission {
  readonly space: string;
  /** What the token or the `authenticate` hook granted; `undefined` in open mode. */
  readonly grant: Grant | undefined;
  /** Whom the per-client limits count: the granted peer, or the IP address in open mode. */
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

/** What an `authenticate` hook is given besides the request: the space asked for and the bearer token, if any. */
export interface AuthenticateContext {
  readonly space: string;
  readonly token: string | undefined;
}

/**
 * Decides who a request is, for relays with their own auth: a {@link Grant},
 * or a refusal (401: who are you? 403: not this).
 */
export type Authenticate = (request: IncomingMessage, context: AuthenticateContext) => Promise<Grant | TokenRefusal> | Grant | TokenRefusal;

/** What admission reads of the relay's state: who a request is, open connections per IP and spaces per client. */
export interface AdmissionState {
  /** Who the request is; `undefined` in open mode (no secret, no JWKS, no hook). */
  readonly authenticate: Authenticate | undefined;
  readonly connectionsPerIp: number;
  readonly spacesPerClient: number;
  connectionsOf(ip: string): number;
  spacesOf(client: string): ReadonlyMap<string, number> | undefined;
  /** Told when the `authenticate` hook throws or returns something that is not a grant (a bug on the server's side). */
  onHookError?(error: Error): void;
}

/**
 * Decides whether a request may connect — one function for the WebSocket
 * upgrade and for the HTTP transport's `POST …/sessions`, so that both paths
 * parse the URL, check the token and count the limits alike.
 *
 * @remarks
 * Total: any request resolves to an admission or a refusal, never a
 * rejection (the URL goes through {@link parseRoute}, the token through a
 * verifier that never throws, a hook's throw becomes a 401). The limits are
 * counted after the (asynchronous) check, in the same tick as the answer.
 */
export async function admit(request: IncomingMessage, state: AdmissionState): Promise<Admission | Refusal> {
  const route = parseRoute(request.url);
  if (!route.ok) return { status: route.status === 404 ? 403 : 400, reason: route.reason, code: route.status === 404 ? 'E_FORBIDDEN' : 'E_BAD_REQUEST' };
  const space = route.space;
  const ip = request.socket.remoteAddress ?? 'unknown';
  let grant: Grant | undefined;
  if (state.authenticate !== undefined) {
    let verdict: Grant | TokenRefusal | undefined;
    try {
      verdict = await state.authenticate(request, { space, token: readBearerToken(request) });
    } catch (error) {
      state.onHookError?.(error instanceof Error ? error : new Error(String(error)));
      return { status: 401, reason: 'the relay could not check the credentials: retry later', code: 'E_UNAUTHORIZED' };
    }
    const checked = checkVerdict(verdict);
    if (checked instanceof Error) {
      state.onHookError?.(checked);
      return { status: 401, reason: 'the relay could not check the credentials: retry later', code: 'E_UNAUTHORIZED' };
    }
    if (isRefusal(checked)) return { ...checked, code: checked.status === 401 ? 'E_UNAUTHORIZED' : 'E_FORBIDDEN' };
    const denied = checkSpace(checked, space);
    if (denied !== undefined) return { ...denied, code: 'E_FORBIDDEN' };
    grant = checked;
  }
  if (state.connectionsOf(ip) >= state.connectionsPerIp) return { status: 403, reason: `too many connections from ${ip} (limit ${state.connectionsPerIp})`, code: 'E_FORBIDDEN' };
  const client = grant?.peer ?? ip;
  const open = state.spacesOf(client);
  if (open !== undefined && !open.has(space) && open.size >= state.spacesPerClient) {
    return { status: 403, reason: `client ${client} already has ${open.size} spaces open (limit ${state.spacesPerClient})`, code: 'E_FORBIDDEN' };
  }
  return { space, grant, client, ip };
}

/** A hook's answer, checked: a grant of the right shape, a refusal, or the bug it is. */
function checkVerdict(verdict: unknown): Grant | TokenRefusal | Error {
  if (typeof verdict !== 'object' || verdict === null) return new Error(`the authenticate() hook returned ${String(verdict)}, not a grant or a refusal`);
  const v = verdict as Partial<Record<keyof Grant | keyof TokenRefusal, unknown>>;
  if ('status' in v) {
    if ((v.status === 401 || v.status === 403) && typeof v.reason === 'string') return { status: v.status, reason: v.reason || 'access denied' };
    return new Error('the authenticate() hook returned a refusal without status 401 or 403 and a reason');
  }
  if (typeof v.peer !== 'string' || !isPeerId(v.peer)) return new Error('the authenticate() hook granted a peer that is not a peer id (1–64 characters from A–Z a–z 0–9 _ -)');
  if (!Array.isArray(v.spaces) || !v.spaces.every((s) => typeof s === 'string')) return new Error('the authenticate() hook granted spaces that are not an array of strings');
  if (v.rights !== 'read' && v.rights !== 'write') return new Error('the authenticate() hook granted rights other than "read" or "write"');
  if (v.expiresAt !== undefined && (typeof v.expiresAt !== 'number' || Number.isNaN(v.expiresAt))) return new Error('the authenticate() hook granted an expiresAt that is not a number');
  return { peer: v.peer, spaces: v.spaces, rights: v.rights, ...(v.expiresAt !== undefined ? { expiresAt: v.expiresAt } : {}) };
}

/** Whether an admission result is a refusal. */
export function isAdmissionRefusal(result: Admission | Refusal): result is Refusal {
  return 'status' in result;
}
