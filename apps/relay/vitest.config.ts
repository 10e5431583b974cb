import { packageTests } from '../../vitest.shared.ts';

// One test file at a time: the hostile suite starts a relay process per file and checks that
// /healthz answers within 1 s under attack, which two attacked relays on two cores cannot promise.
export default packageTests({ fileParallelism: false });
