/**
 * The core of Softadastra Sync: what an operation is and how it travels.
 *
 * @remarks
 * Types and rules every other package shares — peer ids, operations, the
 * hybrid logical clock, version vectors, validation, the binary and JSON
 * codecs of the protocol, errors — and the two contracts that adapters
 * implement: {@link Wal} for storage and {@link Connection} for transports.
 * No runtime dependencies and no I/O.
 *
 * @packageDocumentation
 */
export { SyncError, WalError, TransportError, HorizonResetError, isSyncError, isTransportError, isWalError, toSyncError } from './errors.js';
export type { SyncErrorCode, SyncErrorOptions } from './errors.js';
export { generatePeerId, isPeerId, assertPeerId, MAX_PEER_ID_LENGTH } from './peer-id.js';
export { encodeBase64Url } from './base64url.js';
export type { PeerId } from './peer-id.js';
export { opIdKey, sameOpId, sameOperation, sameJsonValue, sameDependencies, OPERATION_TYPES, isOperationType } from './operation.js';
export type { Dependencies, JsonValue, OperationKind, OperationType, OpId, Operation, PutOperation, DeleteOperation } from './operation.js';
export {
  createHlc,
  compareHlc,
  isHlc,
  encodeHlcText,
  decodeHlcText,
  encodeHlcBinary,
  decodeHlcBinary,
  MAX_HLC_WALL,
  MAX_HLC_COUNTER,
} from './hlc.js';
export type { Hlc, HlcOptions, HlcDriftEvent, HybridClock } from './hlc.js';
export { VersionVector, isVersionVector, mergeVersionVectors, isSeq, toVersionVector } from './version-vector.js';
export type { SeqRange, VersionVectorJson } from './version-vector.js';
export { DEFAULT_LIMITS, resolveLimits } from './limits.js';
export type { Limits } from './limits.js';
export { validateOperation, checkValue, copyValue, checkName } from './validation.js';
export type { ValidationResult } from './validation.js';
export { PROTOCOL_VERSION } from './messages.js';
export type {
  SyncMessage,
  SyncMessageType,
  HelloMessage,
  OpsMessage,
  CoveredMessage,
  AckMessage,
  ErrorMessage,
  DigestRequestMessage,
  DigestMessage,
} from './messages.js';
export {
  encodeMessage,
  decodeMessage,
  encodeOperations,
  encodeOpsMessage,
  decodeOperations,
  encodeVersionVector,
  decodeVersionVector,
  operationSize,
  MESSAGE_MAGIC,
  CODEC_VERSION,
  MIN_CODEC_VERSION,
  needsCodecV2,
} from './codec.js';
export type { DecodeOptions } from './codec.js';
export { readOpsHeader } from './ops-header.js';
export type { OpsHeader } from './ops-header.js';
export {
  encodeMessageJson,
  decodeMessageJson,
  messageToJson,
  messageFromJson,
  operationToJson,
  operationFromJson,
} from './json-codec.js';
export type { OperationJson, SyncMessageJson } from './json-codec.js';
export { crc32 } from './crc32.js';
export { systemClock, backoffDelay, createManualClock, setLongTimeout, MAX_TIMER_MS } from './clock.js';
export type { Clock, ManualClock, LongTimeout } from './clock.js';
export type { Wal, WalCapabilities, WalRecord, WalSnapshot, WalRecovery, WalRepair } from './wal.js';
export { WalRepairedError, describeRepair } from './wal.js';
export { wrapConnection, createConnectionListeners, checkOutgoingMessage, notOpenError } from './connection.js';
export type { Connection, ClientConnection, ConnectionCapabilities, ConnectionState, ConnectionCloseInfo, ConnectionEvents, ConnectionTaps } from './connection.js';
export { toTokenProvider, readToken, bearerHeaders } from './token-provider.js';
export type { TokenOption, TokenProvider, TokenReading } from './token-provider.js';
export { checkEndpointUrl, checkEndpointUrls } from './endpoint-url.js';
export type { EndpointUrlRules } from './endpoint-url.js';
export { createReconnectLoop, resolveReconnectPolicy } from './reconnect-loop.js';
export type { ReconnectLoop, ReconnectLoopOptions, ReconnectAttempt, ReconnectOptions, ReconnectPolicy } from './reconnect-loop.js';
export { checkNumberOption } from './option-checks.js';
export { resolveClientOptions } from './client-options.js';
export type { ClientConnectionOptions, ResolvedClientOptions } from './client-options.js';
export { createSeededRandom } from './random.js';
export type { SeededRandom } from './random.js';
export { encodeWalRecord, decodeWalRecord, encodeWalSnapshot, decodeWalSnapshot, WAL_FORMAT_VERSION, MIN_WAL_FORMAT_VERSION } from './wal-codec.js';
export { EventListeners, rethrowLater } from './event-listeners.js';
export { TokenBucket } from './token-bucket.js';
export type { EventMap } from './event-listeners.js';
