import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Secrets for tests inside workerd; the same values `.dev.vars.example` gives local development. */
export const TEST_SECRETS = { AUTH_SECRET: "dev-auth-secret", ADMIN_TOKEN: "dev-admin-token" };

/** The D1 schema, read here in Node and applied inside workerd by test/metadata/applyMigrations.ts. */
const migrations = await readD1Migrations("./migrations");

export default defineConfig({
  test: {
    projects: [
      {
        // Unit and integration tests inside workerd, against the real Worker and Durable Object.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.jsonc" },
            miniflare: { bindings: { ...TEST_SECRETS, TEST_MIGRATIONS: migrations } },
          }),
        ],
        test: {
          name: "workers",
          setupFiles: ["./test/metadata/applyMigrations.ts"],
          include: ["test/{protocol,document,auth,storage,snapshots,metadata,admin,events,webhooks}/**/*.test.ts"],
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
