// Stock y-websocket clients in Node, as an application would create them, for end-to-end tests.
import { WebSocket } from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

export interface StockClient {
  doc: Y.Doc;
  text: Y.Text;
  provider: WebsocketProvider;
  destroy(): void;
}

/** Connects a stock WebsocketProvider to `ws://HOST/ws/:docId?token=...`. */
export function connectStockClient(wsUrl: string, docId: string, token: string): StockClient {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${wsUrl}/ws`, docId, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    // Node has BroadcastChannel: clients in one process would otherwise sync without the server.
    disableBc: true,
  });
  return {
    doc,
    text: doc.getText("text"),
    provider,
    destroy: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Resolves once `condition()` holds; rejects after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves once the client has received the server's state (its first sync step 2). */
export const synced = (client: StockClient) => waitFor("the client to sync", () => client.provider.synced);
