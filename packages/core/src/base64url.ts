/**
 * `bytes` in base64url (RFC 4648 §5: `-` and `_` for `+` and `/`), without
 * padding: the one encoder of random ids (peer ids, HTTP session ids).
 *
 * @remarks
 * Built on the platform's `btoa` (browsers, Node ≥ 16, Deno, Bun), so core
 * stays free of `Buffer`; in Node-only code `Buffer#toString('base64url')`
 * gives the same text.
 *
 * @param bytes - the data
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
