// A small y-websocket server on a real local socket whose behaviour each test scripts: when it
// acknowledges, when it closes and with which code. For the provider's state machine tests.
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import * as Y from "yjs";
import { decodeMessage, encodeAck, encodeSyncStep1, encodeSyncStep2, type Message } from "../../src/protocol/messages";

export interface ServerScript {
  /** Answer ack requests (default true). */
  ack?: boolean;
  /** Answer the text frame "ping" with "pong", as the real runtime does (default true). */
  pong?: boolean;
  /** Called for each new connection, after the opening sync step 1 went out. */
  onConnection?: (connection: ScriptedConnection) => void;
}

export class ScriptedConnection {
  readonly messages: Message[] = [];
  readonly texts: string[] = [];
  ack: boolean;
  /** Apply received updates to the server's document; false loses them, like a crash before storing. */
  store = true;
  /** Resolves once the socket is closed: every frame the client sent before closing has arrived. */
  readonly closed: Promise<void>;

  constructor(
    readonly url: URL,
    private readonly ws: WebSocket,
    private readonly server: ScriptedServer,
  ) {
    this.ack = server.script.ack ?? true;
    this.closed = new Promise((resolve) => ws.once("close", () => resolve()));
  }

  send(frame: Uint8Array | string): void {
    this.ws.send(frame);
  }

  close(code: number, reason = ""): void {
    this.ws.close(code, reason);
  }

  /** Drops the TCP connection without a close frame, like a network failure. */
  terminate(): void {
    this.ws.terminate();
  }

  receive(data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      const text = data.toString();
      this.texts.push(text);
      if (text === "ping" && (this.server.script.pong ?? true)) this.ws.send("pong");
      return;
    }
    const message = decodeMessage(new Uint8Array(data));
    this.messages.push(message);
    switch (message.type) {
      case "sync-step1":
        this.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.server.doc, message.stateVector)));
        return;
      case "sync-step2":
      case "update":
        if (this.store) Y.applyUpdate(this.server.doc, message.update);
        return;
      case "ack-request":
        if (this.ack) this.send(encodeAck(message.seq));
        return;
    }
  }
}

export class ScriptedServer {
  readonly connections: ScriptedConnection[] = [];
  /** Everything clients sent, applied. */
  readonly doc = new Y.Doc();

  private constructor(
    private readonly wss: WebSocketServer,
    readonly script: ServerScript,
  ) {
    wss.on("connection", (ws, request) => {
      const connection = new ScriptedConnection(new URL(request.url!, "http://127.0.0.1"), ws, this);
      this.connections.push(connection);
      ws.on("message", (data: Buffer, isBinary) => connection.receive(data, isBinary));
      connection.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
      script.onConnection?.(connection);
    });
  }

  static start(script: ServerScript = {}): Promise<ScriptedServer> {
    return new Promise((resolve) => {
      const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 }, () => resolve(new ScriptedServer(wss, script)));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  get latest(): ScriptedConnection {
    return this.connections[this.connections.length - 1];
  }

  close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

/** Polls `condition` every 10 ms until it holds, failing after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
