import { defineConfig } from "vitest/config";

// Two projects: "unit" needs no servers; "integration" starts real kube-apiserver/etcd/nats-server
// processes (shared per worker file) and so runs files one at a time on a 2-core machine.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["libs/*/src/**/*.test.ts", "services/*/src/**/*.test.ts"],
          exclude: ["**/*.integration.test.ts", "**/node_modules/**"],
          setupFiles: ["./libs/testing/src/setup.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/*/src/**/*.test.ts", "libs/*/src/**/*.integration.test.ts"],
          setupFiles: ["./libs/testing/src/setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          pool: "forks",
        },
      },
    ],
  },
});
