import type * as tfl from "@tensorflow/tfjs-layers";

/**
 * What the trainer, the job runner and the exporter need to know about a generator, kept next to the
 * builders so an architecture is defined once.
 */
export interface ModelDefinition<Config = unknown> {
  readonly name: string;
  readonly task: "text-to-image" | "style-transfer" | "super-resolution";
  /** Class labels in the order the generator's label input indexes them. */
  readonly classes: readonly string[];
  readonly latentDim: number;
  readonly output: { readonly width: number; readonly height: number; readonly channels: number };
  /** What the generator emits; postprocessing maps it to 0–255. */
  readonly valueRange: readonly [number, number];
  readonly config: Config;
  buildGenerator(config: Config): tfl.LayersModel;
  buildDiscriminator(config: Config): tfl.LayersModel;
}
