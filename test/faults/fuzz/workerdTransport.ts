// The fuzzer's connections inside workerd: upgrades through the Worker's own fetch handler.
import { exports } from "cloudflare:workers";
import { tokenFor } from "../../helpers/workerClient";
import { type Connect, wrapEventSocket } from "./transport";

export function workerdConnect(docId: string): Connect {
  return async ({ access, userId, ack }) => {
    const token = await tokenFor(docId, access, userId);
    const response = await exports.default.fetch(`http://quire.test/ws/${docId}?token=${token}${ack ? "&ext=ack" : ""}`, { headers: { Upgrade: "websocket" } });
    if (!response.webSocket) return { status: response.status, body: await response.json().catch(() => null) };
    const ws = response.webSocket;
    ws.accept();
    // Recent compatibility dates deliver binary messages as Blob unless asked otherwise.
    (ws as unknown as { binaryType: string }).binaryType = "arraybuffer";
    return wrapEventSocket(ws as unknown as Parameters<typeof wrapEventSocket>[0]);
  };
}
