import autocannon from "autocannon";
import { type Scope, within } from "./scope.ts";
import { quantile } from "./stats.ts";

export interface LoadOptions {
  url: string;
  connections: number;
  /** Measured seconds. */
  durationS: number;
  /** Unmeasured seconds at the same concurrency first (connections open, isolates and caches warm). */
  warmupS?: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** The status every answer must have; any other counts as an error. Default 200. */
  expect?: number;
}

export interface LoadResult {
  connections: number;
  requests: number;
  /** Answers with the expected status per second of the measured window. */
  rps: number;
  /** Latency of the expected answers in ms, from the request's first byte out to the answer's last byte in. */
  p50: number;
  p99: number;
  /** Answers with another status, connection errors and timeouts. */
  failures: number;
}

/**
 * Drives `url` with autocannon: `connections` keep-alive connections, each sending its next request as soon
 * as the previous answer arrives (closed loop, no pipelining). Latencies are taken from every response
 * event at microsecond resolution (autocannon's own histogram rounds to whole milliseconds).
 */
export async function load(scope: Scope, o: LoadOptions): Promise<LoadResult> {
  const expect = o.expect ?? 200;
  const latencies: number[] = [];
  let other = 0;
  let started = 0;
  const options: autocannon.Options = {
    url: o.url,
    connections: o.connections,
    method: o.method ?? "GET",
    headers: o.headers ?? {},
    ...(o.body !== undefined && { body: o.body }),
    timeout: 10,
  };
  const drive = (durationS: number) => {
    const instance = autocannon({ ...options, duration: durationS });
    scope.add(`load on ${o.url}`, instance, (i) => i.stop());
    return instance;
  };
  if (o.warmupS) {
    await within(Promise.resolve(drive(o.warmupS)), (o.warmupS + 30) * 1000, `autocannon warm-up ${o.url}`);
  }
  const instance = drive(o.durationS);
  instance.on("start", () => {
    started = performance.now();
  });
  instance.on("response", (_client: unknown, status: number, _bytes: number, responseMs: number) => {
    if (status === expect) latencies.push(responseMs);
    else other++;
  });
  const result = await within(Promise.resolve(instance), (o.durationS + 30) * 1000, `autocannon ${o.url}`);
  // From the measured run's start to its last counted answer (autocannon stops on its next 1 s tick).
  const elapsed = started > 0 ? (performance.now() - started) / 1000 : o.durationS;
  return {
    connections: o.connections,
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    failures: other + result.errors + result.timeouts,
  };
}
