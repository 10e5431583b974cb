/**
 * `pnpm fuzz [--inputs 1000000] [--seed S]`: throws generated inputs at every
 * parser that reads bytes or text from the network, in process — the
 * protocol decoders (binary and JSON), the WAL record decoder, the relay's
 * route parser, token verifier and bearer-token reader. A decoder may only
 * return or throw a `SyncError`; the relay's parsers may not throw at all.
 * Any other outcome is a crash, printed with its input; the exit code is 1.
 *
 * A nightly-style run (about a minute per million inputs on this machine);
 * CI runs the bounded fuzz of test/hostile-fuzz.test.ts against a real relay.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import {
  VersionVector,
  decodeMessage,
  decodeMessageJson,
  decodeWalRecord,
  encodeMessage,
  encodeWalRecord,
  isSyncError,
  type Operation,
} from '@softadastra/sync-core';
import { readBearerToken } from '@softadastra/transport-websocket';
import { parseRoute } from '../src/routes.js';
import { signToken, verifyToken } from '../src/token.js';

const { values } = parseArgs({ options: { inputs: { type: 'string', default: '1000000' }, seed: { type: 'string' } }, strict: true });
const total = Number(values.inputs);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
if (!Number.isSafeInteger(total) || total < 1) throw new Error('--inputs must be a positive integer');

const op = (i: number): Operation => ({ origin: 'fuzz', seq: i + 1, hlc: { wall: 1_700_000_000_000 + i, counter: i % 7, peer: 'fuzz' }, collection: 'c', key: `k${i}`, kind: 'put', value: { i, s: 'x'.repeat(i % 5) } });
const seeds: Uint8Array[] = [
  encodeMessage({ type: 'hello', protocol: 1, epoch: 3, peer: 'fuzz', space: 'team', vv: new VersionVector().addRange('a', 1, 9).addRange('b', 4, 7) }),
  encodeMessage({ type: 'ops', epoch: 3, n: 1, ops: Array.from({ length: 8 }, (_, i) => op(i)) }),
  encodeMessage({ type: 'covered', epoch: 3, n: 2, vv: new VersionVector().addRange('a', 1, 100) }),
  encodeMessage({ type: 'ack', vv: new VersionVector().addRange('a', 1, 5) }),
  encodeMessage({ type: 'stable', vv: new VersionVector().addRange('a', 1, 5), reply: { epoch: 3, n: 2, covered: new VersionVector().addRange('b', 1, 8) } }),
  encodeMessage({ type: 'error', code: 'E_DECODE', message: 'x', opIds: [{ origin: 'a', seq: 1 }] }),
  encodeMessage({ type: 'digest-request', id: 4, leaves: true }),
  encodeWalRecord({ ops: [op(1), op(2)], covered: new VersionVector().addRange('z', 1, 3), meta: { peerId: 'fuzz' } }),
];
const secret = 'fuzz-secret';
const goodToken = signToken({ sub: 'fuzz', spaces: ['team'], rights: 'write', exp: 2e9 }, secret);

/** Bytes: random, or a valid encoding with bytes flipped, inserted, cut. */
const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('flip', 'insert', 'delete')), { minLength: 1, maxLength: 6 }), fc.nat()).map(([base, edits, cut]) => {
    const bytes = [...base];
    for (const [at, value, how] of edits) {
      const i = at % (bytes.length + 1);
      if (how === 'flip') bytes[i % bytes.length] = (bytes[i % bytes.length]! ^ (value || 1)) & 0xff;
      else if (how === 'insert') bytes.splice(i, 0, value);
      else bytes.splice(i, 1);
    }
    const out = Uint8Array.from(bytes);
    return cut % 4 === 0 ? out.subarray(0, cut % (out.length + 1)) : out;
  }),
);
const textArb = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom(...seeds.slice(0, 6).map((bytes) => JSON.stringify(bytes))),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.tuple(fc.constantFrom('hello', 'ops', 'covered', 'ack', 'error', 'digest-request', 'digest'), fc.jsonValue({ maxDepth: 3 })).map(([type, rest]) =>
    JSON.stringify({ type, ...(typeof rest === 'object' && rest !== null && !Array.isArray(rest) ? rest : { vv: rest, ops: rest, epoch: rest }) }),
  ),
);
const urlArb = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.tuple(fc.constantFrom('/v1/spaces/', 'http://h/v1/spaces/', '/'), fc.array(fc.oneof(fc.constantFrom('%', '%f', '%ff', '%C0%AE', '%2F', '..', '/', '?', '#', '%E2%82%AC'), fc.string({ maxLength: 4 })), { maxLength: 6 }), fc.constantFrom('', '/http', '/http/sessions', '?access_token=%zz'))
    .map(([a, b, c]) => `${a}${b.join('')}${c}`),
);
const tokenArb = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.tuple(fc.nat(), fc.nat({ max: 127 })).map(([at, code]) => {
    const chars = [...goodToken];
    chars[at % chars.length] = String.fromCharCode(code);
    return chars.join('');
  }),
  fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 3 })).map(([h, p]) => `${Buffer.from(JSON.stringify(h)).toString('base64url')}.${Buffer.from(JSON.stringify(p)).toString('base64url')}.x`),
);

interface Target {
  readonly name: string;
  readonly arb: fc.Arbitrary<unknown>;
  /** Throws (or rejects with) anything but a SyncError when the parser misbehaved. */
  run(input: unknown): void | Promise<void>;
}
const decoder =
  (decode: (input: never) => unknown) =>
  (input: unknown): void => {
    try {
      decode(input as never);
    } catch (error) {
      if (!isSyncError(error)) throw error;
    }
  };
const targets: Target[] = [
  { name: 'decodeMessage', arb: bytesArb, run: decoder((bytes: Uint8Array) => decodeMessage(bytes)) },
  { name: 'decodeWalRecord', arb: bytesArb, run: decoder((bytes: Uint8Array) => decodeWalRecord(bytes)) },
  { name: 'decodeMessageJson', arb: textArb, run: decoder((text: string) => decodeMessageJson(text)) },
  { name: 'parseRoute', arb: urlArb, run: (url) => void parseRoute(url as string) },
  { name: 'verifyToken', arb: tokenArb, run: async (text) => {
    // The verifier never rejects: a token is accepted or refused (401/403), whatever its bytes.
    const verdict = await verifyToken(text as string, secret, 'team', Date.now());
    if (!('sub' in verdict) && verdict.status !== 401 && verdict.status !== 403) throw new Error(`verifyToken answered ${JSON.stringify(verdict)}`);
  } },
  { name: 'readBearerToken', arb: fc.tuple(fc.string({ maxLength: 80 }), urlArb), run: (input) => {
    const [header, url] = input as [string, string];
    readBearerToken({ headers: { authorization: header }, url });
  } },
];

const started = performance.now();
let inputs = 0;
let crashes = 0;
const perTarget = Math.ceil(total / targets.length);
for (const [index, target] of targets.entries()) {
  for (let done = 0, round = 0; done < perTarget; round++) {
    const batch = Math.min(10_000, perTarget - done);
    for (const input of fc.sample(target.arb, { seed: seed + index * 1_000_003 + round, numRuns: batch })) {
      inputs++;
      try {
        await target.run(input);
      } catch (error) {
        crashes++;
        if (crashes <= 10) console.error(`fuzz: ${target.name} crashed on ${JSON.stringify(input instanceof Uint8Array ? [...input] : input)}:`, error);
      }
    }
    done += batch;
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(`fuzz: seed=${seed} inputs=${inputs} targets=${targets.length} crashes=${crashes} in ${seconds.toFixed(1)} s`);
// An uncaught exception or unhandled rejection would end the process with a non-zero code before this line.
process.exitCode = crashes === 0 ? 0 : 1;
