import { defineConfig } from "vitest/config";

// Two tiers: `unit` is pure and fast (fakes, fixed clocks); `integration`
// needs the local stack (hack/stack/up.sh) and reads its endpoints from the
// environment that hack/stack/env.sh prints.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
