// One Quire SDK client in its own Node process, driven by JSON lines on stdin, for end-to-end
// tests that need clients which do not share a process (or its timers) with the test.
// Arguments: server URL, document id, user name. Replies are JSON lines on stdout.
import { createInterface } from "node:readline";
import { QuireProvider } from "@quire/client";
import { WebSocket } from "ws";
import * as Y from "yjs";

const [url, docId, name] = process.argv.slice(2);
const doc = new Y.Doc();
const token = async () => {
  const response = await fetch(`${process.env.QUIRE_ADMIN_URL ?? url}/v1/docs/${docId}/tokens`, {
    method: "POST",
    headers: { Authorization: "Bearer dev-admin-token", "Content-Type": "application/json" },
    body: JSON.stringify({ access: "write", userId: name }),
  });
  return (await response.json()).token;
};
const provider = new QuireProvider({ url, docId, doc, token, WebSocketPolyfill: WebSocket, crossTab: false });
const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const handlers = {
  presence: ({ state }) => provider.awareness.setLocalStateField("user", state),
  states: () => Object.fromEntries([...provider.awareness.getStates()].map(([id, state]) => [id, state.user ?? null])),
  insert: async ({ text }) => {
    doc.getText("text").insert(doc.getText("text").length, text);
    await provider.whenSaved();
  },
  text: () => doc.getText("text").toString(),
};

createInterface({ input: process.stdin }).on("line", async (line) => {
  const { id, cmd, ...args } = JSON.parse(line);
  try {
    reply({ id, value: (await handlers[cmd](args)) ?? null });
  } catch (error) {
    reply({ id, error: String(error) });
  }
});
provider.once("synced", () => reply({ ready: true, clientId: doc.clientID }));
