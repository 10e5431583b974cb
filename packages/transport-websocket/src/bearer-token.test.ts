import { describe, expect, it } from 'vitest';
import { readBearerToken } from './bearer-token.js';

describe('readBearerToken', () => {
  it('reads the Authorization: Bearer header (any case of the scheme)', () => {
    expect(readBearerToken({ headers: { authorization: 'Bearer abc.def' }, url: '/' })).toBe('abc.def');
    expect(readBearerToken({ headers: { authorization: 'bearer   xyz  ' }, url: '/' })).toBe('xyz');
  });

  it('falls back to the access_token query parameter (browser clients)', () => {
    expect(readBearerToken({ headers: {}, url: '/sync?access_token=a%20b&x=1' })).toBe('a b');
    expect(readBearerToken({ headers: { authorization: 'Basic Zm9v' }, url: '/sync?access_token=q' })).toBe('q');
  });

  it('returns undefined when no token was presented', () => {
    expect(readBearerToken({ headers: {}, url: '/sync' })).toBeUndefined();
    expect(readBearerToken({ headers: {}, url: '/sync?access_token=' })).toBeUndefined();
    expect(readBearerToken({ headers: { authorization: 'Bearer ' }, url: undefined })).toBeUndefined();
  });
});
