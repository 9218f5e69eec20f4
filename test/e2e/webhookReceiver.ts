// A webhook receiver for end-to-end tests: a real HTTP server on 127.0.0.1 that records every
// request with its raw body and answers with the statuses a test scripts per path.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The parsed body (an event). */
  event: { id: string; type: string; docId: string; seq?: number; sizeBytes?: number; lastEditor?: string | null; occurredAt: string };
  receivedAt: number;
  answeredWith: number;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Answers requests to `path` with these statuses in order; the last one repeats. Default: 200. */
  script(path: string, statuses: number[]): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const scripts = new Map<string, number[]>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    const path = req.url ?? "/";
    const statuses = scripts.get(path) ?? [200];
    const status = statuses.length > 1 ? statuses.shift()! : statuses[0];
    let event: ReceivedRequest["event"];
    try {
      event = JSON.parse(rawBody);
    } catch {
      event = { id: "", type: "", docId: "", occurredAt: "" };
    }
    requests.push({ path, headers: req.headers, rawBody, event, receivedAt: Date.now(), answeredWith: status });
    res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (path, statuses) => scripts.set(path, [...statuses]),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
