import * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * The two layers image-to-image GANs need that tfjs-layers lacks. Both are built from ops that have
 * gradients in tfjs-core and kernels on every backend (wasm included: Mean, Square, Rsqrt,
 * MirrorPad), so they train anywhere. Registered for serialization on import: load a saved style generator
 * only after importing this module.
 */

function firstShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
  return (Array.isArray(shape[0]) ? shape[0] : shape) as tfl.Shape;
}

function firstTensor(inputs: tfCore.Tensor | tfCore.Tensor[]): tfCore.Tensor4D {
  return (Array.isArray(inputs) ? inputs[0] : inputs) as tfCore.Tensor4D;
}

export interface InstanceNormalizationArgs {
  epsilon?: number;
  name?: string;
}

/**
 * Instance normalisation (Ulyanov et al.), affine: each image's channels are normalised over their own
 * height and width, then scaled and shifted per channel. Unlike batch norm it behaves the same in training and
 * inference and with a batch of one, which is what style transfer trains and serves with. NHWC only.
 */
export class InstanceNormalization extends tfl.layers.Layer {
  static readonly className = "GanvasInstanceNormalization";
  readonly epsilon: number;
  private gamma: tfl.LayerVariable | undefined;
  private beta: tfl.LayerVariable | undefined;

  constructor(args: InstanceNormalizationArgs = {}) {
    super({ name: args.name });
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const channels = firstShape(inputShape)[3];
    if (channels == null) throw new Error("InstanceNormalization needs a known channel count (NHWC).");
    this.gamma = this.addWeight("gamma", [channels], "float32", tfl.initializers.ones());
    this.beta = this.addWeight("beta", [channels], "float32", tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return firstShape(shape);
  }

  override call(inputs: tfCore.Tensor | tfCore.Tensor[]): tfCore.Tensor {
    return tfCore.tidy(() => {
      const x = firstTensor(inputs);
      if (this.gamma === undefined || this.beta === undefined)
        throw new Error("InstanceNormalization not built");
      return instanceNorm(x, this.gamma.read(), this.beta.read(), this.epsilon);
    });
  }

  override getConfig(): tfCore.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tfCore.serialization.registerClass(InstanceNormalization);

/** The layer's computation on its own, for tests and for code that holds plain tensors. */
export function instanceNorm(
  x: tfCore.Tensor4D,
  gamma: tfCore.Tensor,
  beta: tfCore.Tensor,
  epsilon = 1e-5,
): tfCore.Tensor4D {
  return tfCore.tidy(() => {
    const mean = tfCore.mean(x, [1, 2], true);
    // sub + square, not squaredDifference: tfjs-core's SquaredDifference gradient does not reduce over
    // broadcast axes, so it fails for the [n, 1, 1, c] mean.
    const centred = tfCore.sub(x, mean);
    const variance = tfCore.mean(tfCore.square(centred), [1, 2], true);
    const normalised = tfCore.mul(centred, tfCore.rsqrt(tfCore.add(variance, epsilon)));
    return tfCore.add(tfCore.mul(normalised, gamma), beta) as tfCore.Tensor4D;
  });
}

export interface ReflectionPadding2DArgs {
  /** Pixels added on each side of height and width. */
  padding: number;
  name?: string;
}

/**
 * Pads height and width by mirroring the image at its border (without repeating the edge pixel). Zero padding
 * in front of a 7×7 convolution draws dark frames into generated images; a reflection keeps the statistics
 * near the border like those inside. The input must be larger than the padding on each side.
 */
export class ReflectionPadding2D extends tfl.layers.Layer {
  static readonly className = "GanvasReflectionPadding2D";
  readonly padding: number;

  constructor(args: ReflectionPadding2DArgs) {
    super({ name: args.name });
    this.padding = args.padding;
  }

  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = firstShape(shape);
    const grow = (v: number | null | undefined) => (v == null ? null : v + 2 * this.padding);
    return [s[0] ?? null, grow(s[1]), grow(s[2]), s[3] ?? null];
  }

  override call(inputs: tfCore.Tensor | tfCore.Tensor[]): tfCore.Tensor {
    return tfCore.tidy(() => reflectionPad(firstTensor(inputs), this.padding));
  }

  override getConfig(): tfCore.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}
tfCore.serialization.registerClass(ReflectionPadding2D);

export function reflectionPad(x: tfCore.Tensor4D, p: number): tfCore.Tensor4D {
  if (p === 0) return x.clone();
  return tfCore.mirrorPad(
    x,
    [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ],
    "reflect",
  );
}
