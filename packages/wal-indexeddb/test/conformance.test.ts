import { IDBFactory } from 'fake-indexeddb';
import { runWalConformance } from '@softadastra/sync-testing';
import { createIdbHarness } from './harness.js';

// IndexedDB in Node: fake-indexeddb, a fresh, private factory per case (its databases live in
// memory as long as the factory does, so reopening and crash recovery read what was committed).
// The levers are described in test/harness.ts; the same harness runs in Chromium in
// test/browser.integration.test.ts.
runWalConformance('indexeddb (fake-indexeddb)', {
  create: () => createIdbHarness(new IDBFactory(), 'softadastra-conformance'),
});
