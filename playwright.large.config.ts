import base from './playwright.config.ts';
import { defineConfig } from '@playwright/test';

// `npm run test:large`: the real-size test (e2e-large/), minutes long and memory-hungry, not in `npm test`.
export default defineConfig({ ...base, testDir: './e2e-large', fullyParallel: false, workers: 1 });
