import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

export interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: (path?: string) => string;
  deliveries: Delivery[];
  /** Respond with this status (and headers) instead of 204, per path. */
  respond: Map<string, { status: number; headers?: Record<string, string> }>;
  waitFor(count: number, timeoutMs: number, path?: string): Promise<Delivery[]>;
  /** Deliveries to `path` grouped by webhook-id, the way a receiver de-duplicates retries. */
  byWebhookId(path?: string): Map<string, Delivery[]>;
  close(): Promise<void>;
}

/** A real HTTP webhook receiver on loopback that records every delivery it gets. */
export async function startReceiver(): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const respond = new Map<string, { status: number; headers?: Record<string, string> }>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      deliveries.push({
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      });
      const r = respond.get(path);
      res.writeHead(r?.status ?? 204, r?.headers);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const matching = (path?: string) => deliveries.filter((d) => path === undefined || d.path === path);
  return {
    url: (path = "/hook") => `http://127.0.0.1:${port}${path}`,
    deliveries,
    respond,
    async waitFor(count, timeoutMs, path) {
      const deadline = Date.now() + timeoutMs;
      while (matching(path).length < count) {
        if (Date.now() > deadline) {
          throw new Error(
            `expected ${count} webhook deliveries to ${path ?? "any path"}, got ${matching(path).length}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      return matching(path);
    },
    byWebhookId(path) {
      const out = new Map<string, Delivery[]>();
      for (const d of matching(path)) {
        const id = String(d.headers["webhook-id"] ?? "");
        out.set(id, [...(out.get(id) ?? []), d]);
      }
      return out;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
