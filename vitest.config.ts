import { configDefaults, defineConfig } from 'vitest/config';
import { CEILING_MS } from './test/e2e/patience.ts';

// Tests that stop services of the shared stack (Synapse, the database): every other client
// of the stack would see the outage, so they run alone, after all the others. Then, alone
// too, the test that judges the homeserver's speed: other files' load would blur it.
const EXCLUSIVE = ['test/e2e/faults/restarts.test.ts'];
const TIMING = ['test/e2e/slow-homeserver.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Most tests drive the real homeserver. Their waits fail once progress stops, with a clear
    // message (test/e2e/patience.ts); a busy machine must not cut a progressing test short, so
    // a test or hook is only stopped at the ceiling of a single wait.
    testTimeout: CEILING_MS,
    hookTimeout: CEILING_MS,
    // End-to-end tests share one homeserver; two cores do not gain from more.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...EXCLUSIVE, ...TIMING],
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'exclusive', include: EXCLUSIVE, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'timing', include: TIMING, sequence: { groupOrder: 2 } } },
    ],
  },
});
