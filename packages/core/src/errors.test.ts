import { describe, expect, it } from 'vitest';
import { SyncError, TransportError, WalError, generatePeerId, isPeerId, isSyncError, toSyncError } from './index.js';

describe('errors', () => {
  it('carries a code, a message and a cause', () => {
    const cause = new Error('disk full');
    const error = new WalError('E_WAL_FAILED', 'append failed', { adapter: 'file', path: '/tmp/x', cause });
    expect(error).toBeInstanceOf(SyncError);
    expect(error.code).toBe('E_WAL_FAILED');
    expect(error.cause).toBe(cause);
    expect(error.adapter).toBe('file');
    expect(error.name).toBe('WalError');
    expect(new TransportError('E_CLOSED', 'gone', { peer: 'p' }).peer).toBe('p');
  });

  it('is recognised across duplicate installs by its brand', () => {
    // A SyncError made by another copy of the package: another class, same brand.
    const foreign = Object.assign(new Error('x'), { code: 'E_DECODE' });
    Object.defineProperty(foreign, Symbol.for('@softadastra/sync-error'), { value: true });
    expect(isSyncError(foreign)).toBe(true);
    expect(isSyncError(new Error('plain'))).toBe(false);
    expect(isSyncError({ code: 'E_DECODE' })).toBe(false);
    expect(isSyncError(null)).toBe(false);
  });

  it('wraps foreign errors, keeping them as cause', () => {
    const wrapped = toSyncError(new RangeError('boom'), 'E_INTERNAL', 'while testing');
    expect(wrapped.code).toBe('E_INTERNAL');
    expect(wrapped.message).toBe('while testing: boom');
    const original = new SyncError('E_DECODE', 'x');
    expect(toSyncError(original, 'E_INTERNAL', 'y')).toBe(original);
  });
});

describe('peer ids', () => {
  it('generates 22-character URL-safe ids that do not collide', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = generatePeerId();
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(isPeerId(id)).toBe(true);
      ids.add(id);
    }
    expect(ids.size).toBe(1000);
  });

  it('uses all 128 bits of randomness', () => {
    expect(generatePeerId((b) => b.fill(0))).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(generatePeerId((b) => b.fill(255))).toBe('_____________________w');
  });

  it('validates custom ids', () => {
    expect(isPeerId('relay-eu_1')).toBe(true);
    for (const bad of ['', 'a b', 'x'.repeat(65), '__proto__', 'é', 5, null]) expect(isPeerId(bad)).toBe(false);
  });
});
