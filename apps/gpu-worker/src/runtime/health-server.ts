import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { WorkerMetrics } from "./metrics.ts";

export interface HealthState {
  workerId: string;
  backend: string;
  metrics: WorkerMetrics;
  /** True once SIGTERM arrived: the worker finishes what it holds and takes nothing new. */
  draining(): boolean;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * GET /healthz — 200 while the worker can reach S3 and is not shutting down, else 503, with the reason.
 * GET /metrics — Prometheus text; JSON with `?format=json` or `Accept: application/json`.
 * Loopback only: it is for the host's supervisor and scraper, not the internet.
 */
export function startHealthServer(port: number, state: HealthState): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (url.pathname === "/healthz") {
      const storage = state.metrics.storageHealthy();
      const status = state.draining() ? "draining" : storage ? "ok" : "storage-unreachable";
      const body = {
        status,
        worker: state.workerId,
        backend: state.backend,
        uptimeSeconds: (Date.now() - state.metrics.startedAt) / 1000,
        inFlight: state.metrics.inFlight,
        held: state.metrics.held(),
        storage: { healthy: storage, lastError: storage ? undefined : state.metrics.lastStorageError },
      };
      res.writeHead(status === "ok" ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
      return;
    }
    if (url.pathname === "/metrics") {
      const json =
        url.searchParams.get("format") === "json" || (req.headers.accept ?? "").includes("application/json");
      if (json) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ worker: state.workerId, backend: state.backend, ...state.metrics.snapshot() }),
        );
      } else {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end(state.metrics.prometheus());
      }
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /healthz or /metrics\n");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
