// The demo page in headless Chromium against a real `wrangler dev`: two people editing one
// document, remote cursors, the saved indicator, presence on leaving, and a reload while offline.
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import * as Y from "yjs";
import { QuireProvider } from "../../client/src/index";
import { waitUntil } from "../client/scriptedServer";
import { TcpProxy } from "../client/tcpProxy";
import { mintToken } from "../helpers/tokens";
import { startWranglerDev, type WranglerDev } from "../helpers/wranglerDev";
import { launchChromium, OUTPUT_DIR } from "./chromium";

let server: WranglerDev;
let proxy: TcpProxy;
let browser: Browser;
const contexts: BrowserContext[] = [];
let docCount = 0;

beforeAll(async () => {
  browser = await launchChromium();
  server = await startWranglerDev();
  proxy = await TcpProxy.start(server.url);
  // The demo mints its tokens through the local-development endpoint (DEV_MODE=true, as in .dev.vars.example).
  const devToken = await fetch(`${server.url}/dev/docs/probe/token`, { method: "POST" });
  if (devToken.status !== 200) throw new Error(`the demo's token endpoint answered ${devToken.status}: start wrangler dev with DEV_MODE=true`);
}, 20 * 60_000);
afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await server?.destroy();
});
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  proxy.refuseWebSockets = false;
});

const newDocId = () => `browser-${Date.now()}-${++docCount}`;

/** Opens the demo in a fresh browser context (its own storage, like another person's browser). */
async function openDemo(origin: string, docId: string, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`[${name}] page error:`, error));
  await page.goto(`${origin}/?doc=${encodeURIComponent(docId)}&name=${encodeURIComponent(name)}`);
  await page.locator('[data-quire-status="connected"]').waitFor({ timeout: 30_000 });
  return page;
}

const editor = (page: Page) => page.locator("[data-quire-editor]");

/**
 * Resolves once every IndexedDB write the page has started for the document's offline copy is
 * done: y-indexeddb starts a read-write transaction on its "updates" store for each update as it
 * happens, and a transaction on the same store started later runs only after those (IndexedDB
 * orders overlapping transactions by creation), so its completion proves them written.
 */
async function offlineCopyWritten(page: Page, docId: string): Promise<void> {
  await page.evaluate(
    (name) =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.open(name);
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          const transaction = db.transaction(["updates"], "readwrite");
          transaction.oncomplete = () => {
            db.close();
            resolve();
          };
          transaction.onerror = () => reject(transaction.error);
          transaction.objectStore("updates").count();
        };
      }),
    `quire:${docId}`,
  );
}
const saveState = (page: Page) => page.locator("[data-quire-save-state]").getAttribute("data-quire-save-state");

/** The document's paragraphs as a Node client reads them from the server. */
async function serverText(docId: string): Promise<string> {
  const doc = new Y.Doc();
  const token = (await mintToken(server.url, docId, "read")).token;
  const reader = new QuireProvider({ url: server.url, docId, doc, token, WebSocketPolyfill: WebSocket, crossTab: false });
  try {
    await waitUntil("a reader to sync", () => reader.synced, 20_000);
    return doc.getXmlFragment("prosemirror").toString();
  } finally {
    reader.destroy();
  }
}

describe("demo page", () => {
  test("two pages type into the same document, see each other's text and cursor, and turn saved", async () => {
    const docId = newDocId();
    const ada = await openDemo(server.url, docId, "Ada");
    const grace = await openDemo(server.url, docId, "Grace");

    await editor(ada).click();
    await ada.keyboard.type("Hello from Ada.");
    await expect.poll(() => editor(grace).innerText(), { timeout: 10_000 }).toContain("Hello from Ada.");

    await editor(grace).click();
    await grace.keyboard.press("Control+End");
    await grace.keyboard.press("Enter");
    await grace.keyboard.type("Grace was here.");
    await expect.poll(() => editor(ada).innerText(), { timeout: 10_000 }).toContain("Grace was here.");

    // Each sees the other's named cursor.
    await ada.locator(".ProseMirror-yjs-cursor", { hasText: "Grace" }).waitFor({ timeout: 10_000 });
    await editor(ada).click();
    await grace.locator(".ProseMirror-yjs-cursor", { hasText: "Ada" }).waitFor({ timeout: 10_000 });
    await expect.poll(() => ada.locator("#peers li").allInnerTexts()).toEqual(["Grace"]);

    await expect.poll(() => saveState(ada), { timeout: 10_000 }).toBe("saved");
    await expect.poll(() => saveState(grace), { timeout: 10_000 }).toBe("saved");
    expect(await ada.evaluate(() => (window as any).quire.provider.hasUnsavedChanges)).toBe(false);
    const stored = await serverText(docId);
    expect(stored).toContain("Hello from Ada.");
    expect(stored).toContain("Grace was here.");

    await ada.screenshot({ path: join(OUTPUT_DIR, "demo-ada.png") });
    await grace.screenshot({ path: join(OUTPUT_DIR, "demo-grace.png") });
  });

  test("leaving the page removes the person's cursor from the other page at once", async () => {
    const docId = newDocId();
    const ada = await openDemo(server.url, docId, "Ada");
    const grace = await openDemo(server.url, docId, "Grace");
    await editor(ada).click();
    await ada.keyboard.type("x");
    await grace.locator(".ProseMirror-yjs-cursor", { hasText: "Ada" }).waitFor({ timeout: 10_000 });

    // pagehide fires when the tab closes or goes into the back-forward cache; the socket is still open.
    await ada.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: true })));
    await grace.locator(".ProseMirror-yjs-cursor").waitFor({ state: "detached", timeout: 5_000 });
    expect(await grace.locator("#peers li").count()).toBe(0);
    expect(await ada.locator("[data-quire-status]").getAttribute("data-quire-status")).toBe("connected");
  });

  test("without ?doc the page picks a new document id and writes it into the URL", async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\?doc=doc-[0-9a-f]{8}$/);
    const docId = new URL(page.url()).searchParams.get("doc");
    expect(await page.locator("#doc-id").innerText()).toBe(docId);
    await page.locator('[data-quire-status="connected"]').waitFor({ timeout: 30_000 });
  });

  test("/favicon.ico answers with the page's icon instead of 404", async () => {
    const response = await fetch(`${server.url}/favicon.ico`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/icon/);
    expect([...new Uint8Array(await response.arrayBuffer()).subarray(0, 4)]).toEqual([0, 0, 1, 0]); // the ICO signature
  });

  test("tabs of one browser stay in step through BroadcastChannel while the server is unreachable", async () => {
    const docId = newDocId();
    const first = await openDemo(proxy.url, docId, "Ada");
    const second = await first.context().newPage();
    await second.goto(first.url());
    await second.locator('[data-quire-status="connected"]').waitFor({ timeout: 30_000 });

    proxy.refuseWebSockets = true;
    proxy.cut();
    for (const page of [first, second]) await page.locator('[data-quire-status="connected"]').waitFor({ state: "detached", timeout: 10_000 });
    await editor(first).click();
    await first.keyboard.type("Shared between tabs.");
    await expect.poll(() => editor(second).innerText(), { timeout: 5_000 }).toContain("Shared between tabs.");
    expect(await second.locator("[data-quire-status]").getAttribute("data-quire-status")).not.toBe("connected");
  });

  test("a reload while the server is unreachable keeps the unsent edits, which are saved once it returns", async () => {
    const docId = newDocId();
    const page = await openDemo(proxy.url, docId, "Ada");
    await editor(page).click();
    await page.keyboard.type("Typed online.");
    await expect.poll(() => saveState(page), { timeout: 10_000 }).toBe("saved");

    proxy.refuseWebSockets = true;
    proxy.cut();
    await page.locator('[data-quire-status="connected"]').waitFor({ state: "detached", timeout: 10_000 });
    await page.keyboard.type(" Typed offline.");
    await expect.poll(() => editor(page).innerText(), { timeout: 10_000 }).toContain("Typed online. Typed offline.");
    expect(await saveState(page)).toBe("unsaved");
    await offlineCopyWritten(page, docId);

    await page.reload();
    await expect.poll(() => editor(page).innerText(), { timeout: 10_000 }).toContain("Typed online. Typed offline.");
    expect(await saveState(page)).toBe("unsaved");
    await page.screenshot({ path: join(OUTPUT_DIR, "demo-offline.png") });
    expect(await serverText(docId)).not.toContain("Typed offline.");

    proxy.refuseWebSockets = false;
    // The network is back: the browser's online event skips whatever backoff delay is left.
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await expect.poll(() => saveState(page), { timeout: 20_000 }).toBe("saved");
    expect(await serverText(docId)).toContain("Typed online. Typed offline.");
  });
});
