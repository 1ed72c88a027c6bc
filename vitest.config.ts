import { defineConfig } from "vitest/config";

// One runner for the repo, one project per workspace. Tests that start real services (S3, workerd, workers)
// live in their own projects with generous timeouts and run one file at a time to fit a 2-core machine.
export default defineConfig({
  test: {
    reporters: ["default", "./tests/helpers/summary-reporter.ts"],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    projects: [
      { test: { name: "shared", include: ["packages/shared/test/**/*.test.ts"] } },
      {
        test: {
          name: "gpu-worker",
          include: ["apps/gpu-worker/test/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "services",
          include: ["infra/test/**/*.test.ts", "apps/edge/test/**/*.test.ts", "tests/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
