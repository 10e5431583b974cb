/**
 * Core's Node-only helpers (`@softadastra/sync-core/node`), for the adapters
 * that run on Node (the file and SQLite WALs): the same contracts and formats
 * as the portable core, on Node's native code. Never imported by the portable
 * entry point, so a browser bundle of `@softadastra/sync-core` has no Node
 * built-in in it.
 *
 * @packageDocumentation
 */
export { crc32 } from './crc32.js';
