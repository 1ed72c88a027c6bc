import {
  type EdgeServer,
  freePort,
  PortInUseError,
  type S3Server,
  startEdge,
  startS3Server,
} from "@ganvas/infra";
import type { Scope } from "./scope.ts";

/** The local S3 server (single-node Ceph + radosgw on loopback) on free ports, stopped with the scope. */
export async function startBenchS3(scope: Scope): Promise<S3Server> {
  for (let attempt = 1; ; attempt++) {
    // radosgw on `port`, the Ceph monitor on `port + 1`: both must be free.
    const port = await freePort();
    try {
      const s3 = await startS3Server({ port });
      return scope.add("S3 server", s3, (s) => s.stop());
    } catch (err) {
      if (!(err instanceof PortInUseError) || attempt >= 5) throw err;
    }
  }
}

/** The edge Worker in workerd (`wrangler dev`, loopback), stopped with the scope. */
export async function startBenchEdge(
  scope: Scope,
  s3: S3Server,
  options: { dev: boolean; vars?: Record<string, string> },
): Promise<EdgeServer> {
  const edge = await startEdge(s3, { dev: options.dev, vars: options.vars });
  return scope.add(`edge (GANVAS_DEV=${options.dev ? 1 : 0})`, edge, (e) => e.stop());
}
