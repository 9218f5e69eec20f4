// Hocuspocus with its defaults and no extensions (documents in memory only), on 127.0.0.1:$PORT.
import { Server } from "@hocuspocus/server";

const server = new Server({ address: "127.0.0.1", port: Number(process.env.PORT), quiet: true, stopOnSignals: true });
await server.listen();
