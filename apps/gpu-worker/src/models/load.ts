import * as tfl from "@tensorflow/tfjs-layers";
import { fsHandler } from "./fs-handler.ts";

/** Loads a generator saved by the trainer (model.json + weights.bin in `dir`). */
export async function loadGenerator(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(fsHandler(dir));
}
