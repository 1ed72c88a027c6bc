import { type EdgeServer, type S3Server, startEdge, startS3ServerOnRandomPort } from "@ganvas/infra";
import type { Scope } from "./scope.ts";

/** The local S3 server (single-node Ceph + radosgw on loopback) on free ports, stopped with the scope. */
export async function startBenchS3(scope: Scope): Promise<S3Server> {
  const s3 = await startS3ServerOnRandomPort();
  return scope.add("S3 server", s3, (s) => s.stop());
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
