import { packageTests } from '../../vitest.shared.ts';

// One npm install compiles better-sqlite3 from source: minutes on a loaded 2-core machine.
export default packageTests({ hookTimeout: 300_000, testTimeout: 120_000 });
