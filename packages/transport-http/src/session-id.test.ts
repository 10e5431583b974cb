import { describe, expect, it } from 'vitest';
import { isSessionId, newSessionId } from './session-id.js';

describe('session ids', () => {
  it('are 22 base64url characters (128 bits), different every time', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(isSessionId(id)).toBe(true);
    }
  });

  it('are recognised by shape only', () => {
    for (const value of ['', 'short', 'a'.repeat(21), 'a'.repeat(23), `${'a'.repeat(21)}+`, `${'a'.repeat(21)}/`, `${'a'.repeat(21)}=`, 42, undefined, null]) {
      expect(isSessionId(value), String(value)).toBe(false);
    }
    expect(isSessionId('AbC-_09zzzzzzzzzzzzzzz')).toBe(true);
  });
});
