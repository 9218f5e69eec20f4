// The demo editor: ProseMirror bound to a Quire document through the SDK, with remote cursors and
// names, a connection indicator and a saved indicator. The document id comes from `?doc=`.
import "prosemirror-view/style/prosemirror.css";
import "prosemirror-menu/style/menu.css";
import "prosemirror-example-setup/style/style.css";
import "./style.css";
import { exampleSetup } from "prosemirror-example-setup";
import { keymap } from "prosemirror-keymap";
import { Schema } from "prosemirror-model";
import { schema as basicSchema } from "prosemirror-schema-basic";
import { addListNodes } from "prosemirror-schema-list";
import { EditorState } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import { redo, undo, yCursorPlugin, ySyncPlugin, yUndoPlugin } from "y-prosemirror";
import * as Y from "yjs";
import { QuireProvider } from "../client/src/index";
import { pickDocId, tokenSource } from "./session";
import { loadUser, saveUser } from "./user";

const schema = new Schema({
  nodes: addListNodes(basicSchema.spec.nodes, "paragraph block*", "block"),
  marks: basicSchema.spec.marks,
});

const docId = pickDocId();
const doc = new Y.Doc();
const provider = new QuireProvider({
  url: location.origin,
  docId,
  doc,
  token: tokenSource(docId, showNotice),
  offline: true,
});

const user = loadUser();
provider.awareness.setLocalStateField("user", user);

const view = new EditorView(document.querySelector("#editor"), {
  attributes: { "data-quire-editor": "" },
  state: EditorState.create({
    schema,
    plugins: [
      ySyncPlugin(doc.getXmlFragment("prosemirror")),
      yCursorPlugin(provider.awareness),
      yUndoPlugin(),
      keymap({ "Mod-z": undo, "Mod-y": redo, "Mod-Shift-z": redo }),
      ...exampleSetup({ schema, history: false }),
    ],
  }),
});

const statusEl = document.querySelector<HTMLElement>("[data-quire-status]")!;
const saveEl = document.querySelector<HTMLElement>("[data-quire-save-state]")!;
const showStatus = () => {
  statusEl.dataset.quireStatus = provider.status;
  statusEl.textContent = provider.status;
};
const showSaveState = () => {
  saveEl.dataset.quireSaveState = provider.saveState;
  saveEl.textContent = provider.saveState;
};
provider.on("status", showStatus);
provider.on("save-state", showSaveState);
provider.on("synced", (synced) => document.body.toggleAttribute("data-quire-synced", synced));
provider.on("closed", ({ code, reason }) => showNotice(`The server closed this document for good (${code}: ${reason}).`));
provider.on("permission-denied", ({ reason }) => showNotice(`Read-only: ${reason}`));
showStatus();
showSaveState();

const peersEl = document.querySelector<HTMLUListElement>("#peers")!;
const showPeers = () => {
  peersEl.replaceChildren(
    ...[...provider.awareness.getStates()]
      .filter(([clientId, state]) => clientId !== doc.clientID && state.user)
      .map(([, state]) => {
        const item = document.createElement("li");
        item.textContent = String(state.user.name);
        item.style.background = String(state.user.color);
        return item;
      }),
  );
};
provider.awareness.on("change", showPeers);

const nameInput = document.querySelector<HTMLInputElement>("#name")!;
nameInput.value = user.name;
nameInput.addEventListener("change", () => {
  user.name = nameInput.value.trim() || user.name;
  saveUser(user);
  provider.awareness.setLocalStateField("user", user);
});

document.querySelector("#doc-id")!.textContent = docId;
document.querySelector<HTMLAnchorElement>("#share")!.href = `${location.origin}/?doc=${encodeURIComponent(docId)}`;

// Warn before closing the tab while edits are not yet on the server.
addEventListener("beforeunload", (event) => {
  if (provider.hasUnsavedChanges) event.preventDefault();
});

function showNotice(text: string): void {
  const notice = document.querySelector<HTMLElement>("#notice")!;
  notice.textContent = text;
  notice.hidden = false;
}

Object.assign(window, { quire: { provider, doc, view } });
