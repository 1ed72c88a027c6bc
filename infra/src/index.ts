export * from "./edge-server.ts";
export * from "./processes.ts";
export * from "./s3-server.ts";
export * from "./worker-process.ts";
