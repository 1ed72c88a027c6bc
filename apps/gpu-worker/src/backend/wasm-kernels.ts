import * as tf from "@tensorflow/tfjs-core";

/**
 * Training kernels the wasm backend lacks (Conv2DBackpropFilter) or runs slowly in plain JS
 * (Conv2DBackpropInput), rewritten as forward convolutions so they run on its XNNPACK Conv2D.
 * Both are checked against the cpu backend in test/wasm-kernels.test.ts.
 */

type Info = tf.TensorInfo;

function asTensor4D(info: Info): tf.Tensor4D {
  // Ops hand kernels real tensors; wrapping keeps a bare TensorInfo (from another kernel) usable too.
  const t = info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
  return t as tf.Tensor4D;
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat === "NCHW") {
    throw new Error("The wasm training kernels support NHWC only: build models with channelsLast.");
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

/** Pads (or crops, for negative amounts) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const cropped =
    top < 0 || bottom < 0 || left < 0 || right < 0
      ? tf.slice(
          x,
          [0, Math.max(0, -top), Math.max(0, -left), 0],
          [
            -1,
            h - Math.max(0, -top) - Math.max(0, -bottom),
            w - Math.max(0, -left) - Math.max(0, -right),
            -1,
          ],
        )
      : x;
  const p = (n: number) => Math.max(0, n);
  if (p(top) + p(bottom) + p(left) + p(right) === 0) return cropped;
  return tf.pad(cropped, [
    [0, 0],
    [p(top), p(bottom)],
    [p(left), p(right)],
    [0, 0],
  ]);
}

/**
 * dW[a,b,ci,co] = Σ x[n, i·s + a − padTop, j·s + b − padLeft, ci] · dy[n,i,j,co]: a stride-1 convolution of
 * the input (batch and channels swapped) with dy as the filter, dilated by the forward stride.
 */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  attrs: ConvAttrs,
) {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, attrs);
    const { top, left } = info.padInfo;
    const [, outH, outW] = dy.shape;
    const needH = info.filterHeight + (outH - 1) * info.strideHeight;
    const needW = info.filterWidth + (outW - 1) * info.strideWidth;
    const padded = padOrCrop(x, top, needH - x.shape[1] - top, left, needW - x.shape[2] - left);
    const xT = tf.transpose(padded, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    const out = tf.conv2d(xT, dyT, 1, "valid", "NHWC", [info.strideHeight, info.strideWidth]);
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/**
 * dx via sub-pixel convolution: output row u = s·q + r only meets filter rows r, r + s, r + 2s…, so each of
 * the s² phases is a stride-1 convolution of dy with a sub-filter. Stacking the phases as output channels
 * makes it one Conv2D followed by a depth-to-space shuffle, with ⌈k/s⌉² taps per phase instead of the k² a
 * zero-inserted dy would cost, most of them multiplying zeros (4× fewer for a 4×4 kernel at stride 2).
 */
export function conv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: number[],
  attrs: ConvAttrs,
) {
  return tf.tidy(() => {
    const info = convInfo(inputShape, filter.shape, attrs);
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const [, inH = 0, inW = 0, inC = 0] = inputShape;
    const [n, outH, outW, outC] = dy.shape;
    const th = Math.ceil(kh / sh);
    const tw = Math.ceil(kw / sw);
    // filter[t·s + r] → phase filter[T − 1 − t] for phase r, phases stacked as (ry, rx, ci) channels.
    const padded = tf.pad(filter, [
      [0, th * sh - kh],
      [0, tw * sw - kw],
      [0, 0],
      [0, 0],
    ]);
    const split = tf.reverse(tf.reshape(padded, [th, sh, tw, sw, inC, outC]), [0, 2]);
    const phases = tf.reshape(tf.transpose(split, [0, 2, 5, 1, 3, 4]), [th, tw, outC, sh * sw * inC]);
    const rows = Math.ceil((info.padInfo.top + inH) / sh);
    const cols = Math.ceil((info.padInfo.left + inW) / sw);
    const dyPadded = padOrCrop(dy, th - 1, rows - outH, tw - 1, cols - outW);
    const stacked = tf.conv2d(dyPadded, phases as tf.Tensor4D, 1, "valid");
    const full = interleave(stacked as tf.Tensor4D, sh, sw, inC);
    return tf.slice(full, [0, info.padInfo.top, info.padInfo.left, 0], [n, inH, inW, inC]);
  });
}

/**
 * DepthToSpace by reshape and transpose: the wasm backend's DepthToSpace runs in JS and costs more than the
 * convolution, and it refuses unequal strides and a block size of 1.
 */
function interleave(x: tf.Tensor4D, sh: number, sw: number, c: number): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const grid = tf.transpose(tf.reshape(x, [n, h, w, sh, sw, c]), [0, 1, 3, 2, 4, 5]);
  return tf.reshape(grid, [n, h * sh, w * sw, c]);
}

let registered = false;

/** Idempotent: registering a kernel twice makes tfjs warn on every call site. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  for (const name of [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput]) {
    if (tf.getKernel(name, "wasm") !== undefined) tf.unregisterKernel(name, "wasm");
  }
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: Info; dy: Info };
      const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
      // Wrapped inside tidy so the wrappers made for bare TensorInfos are released with the intermediates.
      return tf.tidy(() => conv2dBackpropFilter(asTensor4D(x), asTensor4D(dy), a.filterShape, a));
    },
  });
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropInput,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs }) => {
      const { dy, filter } = inputs as { dy: Info; filter: Info };
      const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
      return tf.tidy(() => conv2dBackpropInput(asTensor4D(dy), asTensor4D(filter), a.inputShape, a));
    },
  });
}
