// Test controls over a live document object inside workerd: hold its commits in flight, prove
// message order with a presence round trip, and type into a client document one update at a time.
import { runInDurableObject } from "cloudflare:test";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { encodeAwarenessUpdate } from "../../src/protocol/awareness";
import { encodeAwareness } from "../../src/protocol/messages";
import { type RawClient, stubFor } from "./workerClient";

/** Holds the document's next commits in flight until `release` (the writes themselves happen). */
export async function holdCommits(docId: string): Promise<{ release: () => void }> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  await runInDurableObject(stubFor(docId), (object: DocumentObject) => {
    const real = object.durable.bind(object);
    object.durable = () => gate.then(real);
  });
  return { release: () => open() };
}

/** A client's presence echo: once it arrives, every frame the client sent before it was handled. */
export async function roundTrip(client: RawClient, clientId: number): Promise<void> {
  const echoes = () => client.messages.filter((m) => m.type === "awareness").length;
  const before = echoes();
  client.send(encodeAwareness(encodeAwarenessUpdate([{ clientId, clock: before + 1, state: "{}" }])));
  await client.waitFor("awareness", () => echoes() > before);
}

/** A client document whose edits come out one update each. */
export function typist(): { doc: Y.Doc; type: (text: string) => Uint8Array } {
  const doc = new Y.Doc();
  return {
    doc,
    type: (text) => {
      let update: Uint8Array | null = null;
      doc.once("update", (u: Uint8Array) => (update = u));
      doc.getText("text").insert(doc.getText("text").length, text);
      return update!;
    },
  };
}
