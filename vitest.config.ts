import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // Starting headless chromium (the report test) can take well over the default 10 s on a busy machine.
    hookTimeout: 60_000,
  },
});
