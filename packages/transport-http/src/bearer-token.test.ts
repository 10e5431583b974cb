import { describe, expect, it } from 'vitest';
import { readBearerToken } from './bearer-token.js';

describe('readBearerToken', () => {
  it('reads the token of an Authorization: Bearer header, whatever the case of the scheme', () => {
    expect(readBearerToken({ headers: { authorization: 'Bearer abc.def' } })).toBe('abc.def');
    expect(readBearerToken({ headers: { authorization: 'bearer   xyz  ' } })).toBe('xyz');
  });

  it('gives undefined without a bearer token', () => {
    expect(readBearerToken({ headers: {} })).toBeUndefined();
    expect(readBearerToken({ headers: { authorization: 'Basic dXNlcjpwdw==' } })).toBeUndefined();
    expect(readBearerToken({ headers: { authorization: 'Bearer ' } })).toBeUndefined();
  });
});
