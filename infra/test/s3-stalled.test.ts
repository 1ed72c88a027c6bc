import { createServer, type Server, type Socket } from "node:net";
import { Storage, StorageUnavailableError } from "@ganvas/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A server that accepts connections and never answers: the fault a hung S3 endpoint causes, which a
// stopped server (connection refused) does not. Nothing else can produce it on demand.
let server: Server;
const sockets: Socket[] = [];
let port = 0;
beforeAll(async () => {
  server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

describe("a stalled S3 endpoint", () => {
  it("fails each call as unavailable after the request timeout instead of hanging", async () => {
    const storage = new Storage({
      endpoint: `http://127.0.0.1:${port}`,
      bucket: "ganvas",
      accessKeyId: "k",
      secretAccessKey: "s",
      requestTimeoutMs: 300,
    });
    const t0 = performance.now();
    await expect(storage.get("jobs/x.json")).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.put("jobs/x.json", "{}")).rejects.toBeInstanceOf(StorageUnavailableError);
    // Two calls, each with its one retry: about 4 × 300 ms, far below any hang.
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(sockets.length).toBeGreaterThan(0);
  });
});
