import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { FAULT_LIMITS } from "./test/faults/limits";

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
          // Bounds for failing tests only (passing ones finish as soon as their events come): generous,
          // so the time-dependent tests (compaction retries, the index's sync period) hold on a loaded machine.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Fault tests inside workerd: a fuzzer against a live document, storage faults under group
        // commit, the authorization matrix. Limits are set here so each test knows them exactly.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.jsonc" },
            miniflare: {
              bindings: {
                ...TEST_SECRETS,
                TEST_MIGRATIONS: migrations,
                ...FAULT_LIMITS,
                // The in-workerd fuzzer's size and seed (QUIRE_FUZZ_SEED repeats a run).
                FUZZ_FRAMES: process.env.QUIRE_FUZZ_WORKERD_FRAMES ?? "20000",
                FUZZ_SEED: process.env.QUIRE_FUZZ_SEED ?? "",
              },
            },
          }),
        ],
        test: {
          name: "faults",
          setupFiles: ["./test/metadata/applyMigrations.ts"],
          include: ["test/faults/*.test.ts"],
          testTimeout: 600_000,
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
      {
        // Fault tests in Node against real `wrangler dev` processes, killed with SIGKILL and restarted.
        test: {
          name: "faults-e2e",
          include: ["test/faults/e2e/**/*.test.ts"],
          exclude: ["test/faults/e2e/fuzz.test.ts"],
          environment: "node",
          testTimeout: 1_800_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // The long fuzzer over real sockets (100,000 frames, about ten minutes here): npm run test:faults.
        test: {
          name: "fuzz-e2e",
          include: ["test/faults/e2e/fuzz.test.ts"],
          environment: "node",
          testTimeout: 3_600_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
