import * as tfCore from "@tensorflow/tfjs-core";
// tfjs-core's Node bundle registers no gradients; the layers bundle registers all of them on import.
import "@tensorflow/tfjs-layers";

export type Tf = typeof tfCore;

export interface SelectedBackend {
  tf: Tf;
  name: string;
  version: string;
}

export const BACKEND_ORDER = ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKEND_ORDER)[number];

function isChoice(value: string): value is BackendChoice {
  return (BACKEND_ORDER as readonly string[]).includes(value);
}

/**
 * The native packages are optional dependencies that download libtensorflow when they install, so on most
 * machines they are absent. A string specifier keeps bundlers and the type checker from insisting on them.
 */
async function tryNative(pkg: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ pkg);
    return true;
  } catch {
    return false;
  }
}

async function activate(choice: BackendChoice): Promise<string | undefined> {
  switch (choice) {
    case "tfjs-node-gpu":
      // tfjs-node-gpu registers itself as "tensorflow" just like tfjs-node.
      return (await tryNative("@tensorflow/tfjs-node-gpu")) ? "tensorflow" : undefined;
    case "tfjs-node":
      return (await tryNative("@tensorflow/tfjs-node")) ? "tensorflow" : undefined;
    case "wasm": {
      await import("@tensorflow/tfjs-backend-wasm");
      const { registerWasmTrainingKernels } = await import("./wasm-kernels.ts");
      registerWasmTrainingKernels();
      return "wasm";
    }
    case "cpu":
      await import("@tensorflow/tfjs-backend-cpu");
      return "cpu";
  }
}

/**
 * Picks the fastest TensorFlow.js backend present. `preferred` (or env GANVAS_BACKEND) forces one and fails
 * loudly when it cannot start, so a misconfigured GPU host does not silently train on the CPU.
 */
export async function selectBackend(
  preferred: string | undefined = process.env.GANVAS_BACKEND,
): Promise<SelectedBackend> {
  const forced = preferred?.trim() || undefined;
  if (forced !== undefined && !isChoice(forced)) {
    throw new Error(`Unknown backend "${forced}": set GANVAS_BACKEND to one of ${BACKEND_ORDER.join(", ")}.`);
  }
  const candidates: readonly BackendChoice[] = forced ? [forced] : BACKEND_ORDER;
  for (const choice of candidates) {
    const registered = await activate(choice);
    if (registered !== undefined && (await tfCore.setBackend(registered))) {
      await tfCore.ready();
      return { tf: tfCore, name: choice, version: tfCore.version_core };
    }
  }
  throw new Error(
    forced
      ? `Backend "${forced}" could not start: install its package or unset GANVAS_BACKEND.`
      : "No TensorFlow.js backend could start: reinstall @tensorflow/tfjs-backend-wasm.",
  );
}
