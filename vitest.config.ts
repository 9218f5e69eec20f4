import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Secrets for tests inside workerd; the same values `.dev.vars.example` gives local development. */
export const TEST_SECRETS = { AUTH_SECRET: "dev-auth-secret", ADMIN_TOKEN: "dev-admin-token" };

export default defineConfig({
  test: {
    projects: [
      {
        // Unit and integration tests inside workerd, against the real Worker and Durable Object.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.jsonc" },
            miniflare: { bindings: TEST_SECRETS },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/{protocol,document,auth,storage,snapshots,metadata,admin}/**/*.test.ts"],
        },
      },
      {
        // End-to-end tests in Node against a real `wrangler dev` process, with real clients.
        test: {
          name: "e2e",
          include: ["test/{e2e,client,browser}/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
