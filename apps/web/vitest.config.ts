import { packageTests } from '../../vitest.shared.ts';

// One Chromium at a time: the files share a 2-core box with other suites; each builds nothing
// itself (global-setup.ts runs the real Vite build once).
export default packageTests({ globalSetup: ['test/global-setup.ts'], fileParallelism: false, testTimeout: 90_000, hookTimeout: 60_000 });
