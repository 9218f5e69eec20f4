// A TCP proxy in front of a local server that a test can use to break the network: hold the
// server's replies, cut every connection, or refuse WebSocket upgrades while serving plain HTTP.
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

interface Pair {
  client: Socket;
  upstream: Socket;
  /** The client is gone but the server's side is kept open, as after a dead network. */
  ghost?: boolean;
}

export class TcpProxy {
  /** New connections accepted so far (HTTP requests and WebSocket upgrades alike). */
  accepted = 0;
  /** WebSocket upgrades that reached the server. */
  upgrades = 0;
  /** While true, WebSocket upgrades (`GET /ws/...`) are refused by closing the connection. */
  refuseWebSockets = false;
  /** While true, every new connection is dropped. */
  refuseAll = false;
  private holding = false;
  private readonly pairs = new Set<Pair>();

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {
    server.on("connection", (client) => this.accept(client));
  }

  /** Starts a proxy on 127.0.0.1 in front of `target` (`http://127.0.0.1:PORT`). */
  static start(target: string): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, new URL(target));
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(proxy)));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops delivering the server's bytes to clients (they are dropped); client bytes still flow. */
  holdReplies(): void {
    this.holding = true;
  }

  releaseReplies(): void {
    this.holding = false;
  }

  /** Destroys every open connection at once, without close frames: a network failure. */
  cut(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /**
   * The clients vanish without a trace: their sockets are dropped here, while the server's sides
   * stay open and hear nothing more, with no close frame and no FIN (a laptop lid, a dead network).
   * New connections are refused from then on.
   */
  vanish(): void {
    this.refuseAll = true;
    for (const pair of this.pairs) {
      pair.ghost = true;
      pair.client.removeAllListeners("data");
      pair.client.destroy();
    }
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (this.refuseAll) {
      client.destroy();
      return;
    }
    client.once("data", (first: Buffer) => {
      const isUpgrade = first.toString("latin1").startsWith("GET /ws/");
      if (isUpgrade && this.refuseWebSockets) {
        client.destroy();
        return;
      }
      if (isUpgrade) this.upgrades++;
      const upstream = connect(Number(this.target.port), this.target.hostname);
      const pair: Pair = { client, upstream };
      this.pairs.add(pair);
      const end = () => {
        if (pair.ghost && !upstream.destroyed) return; // keep the server's side open
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      upstream.write(first);
      client.on("data", (chunk: Buffer) => upstream.write(chunk));
      upstream.on("data", (chunk: Buffer) => {
        if (!this.holding && !pair.ghost) client.write(chunk);
      });
      for (const socket of [client, upstream]) {
        socket.on("close", end);
        socket.on("error", end);
      }
    });
    client.on("error", () => client.destroy());
  }
}
