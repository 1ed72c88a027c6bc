import type * as tfCore from "@tensorflow/tfjs-core";

type Tf = typeof tfCore;

/**
 * Differentiable augmentation (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training",
 * 2020): every image the discriminator sees, real or generated, in its own step and in the generator's, is
 * shifted and has a square cut out. D cannot memorise a small training set (MNIST here: 8,500 digits), and since
 * fakes go through the same transformation, and it is differentiable, G still learns to draw un-augmented images.
 */
export interface Augmentation {
  /** Each image moves by up to this many pixels along each axis (independently per image). */
  shift: number;
  /** Side of the square set to 0 (mid-gray in [-1, 1]) at a random place in each image; 0 = none. */
  cutout: number;
}

/** The defaults of `--augment`: an eighth of a 28-pixel side of shift, a half-side cutout, as in the paper. */
export const DEFAULT_AUGMENTATION: Augmentation = { shift: 3, cutout: 14 };

/** [batch, rows, from] one-hot matrices that pick rows offset..offset+rows-1 of a padded image, one per image. */
function shiftMatrices(offsets: Int32Array, rows: number, from: number): Float32Array {
  const m = new Float32Array(offsets.length * rows * from);
  offsets.forEach((o, b) => {
    for (let r = 0; r < rows; r++) m[(b * rows + r) * from + r + o] = 1;
  });
  return m;
}

function randomInts(count: number, below: number): Int32Array {
  return Int32Array.from({ length: count }, () => Math.floor(Math.random() * below));
}

/**
 * Shifts each image by its own random offset (the border filled with the background value -1) and cuts out a
 * square. The shift is two batched matrix products with one-hot matrices, so gradients flow on every backend.
 */
export function diffAugment(tf: Tf, images: tfCore.Tensor4D, aug: Augmentation): tfCore.Tensor4D {
  const [batch, height, width, channels] = images.shape;
  if (channels !== 1) throw new Error("diffAugment handles one-channel images");
  const s = aug.shift;
  const rows = shiftMatrices(randomInts(batch, 2 * s + 1), height, height + 2 * s);
  const cols = shiftMatrices(randomInts(batch, 2 * s + 1), width, width + 2 * s);
  const mask = new Float32Array(batch * height * width).fill(1);
  if (aug.cutout > 0) {
    const half = Math.floor(aug.cutout / 2);
    for (let b = 0; b < batch; b++) {
      const cy = Math.floor(Math.random() * height);
      const cx = Math.floor(Math.random() * width);
      for (let y = Math.max(0, cy - half); y < Math.min(height, cy - half + aug.cutout); y++)
        for (let x = Math.max(0, cx - half); x < Math.min(width, cx - half + aug.cutout); x++)
          mask[(b * height + y) * width + x] = 0;
    }
  }
  return tf.tidy(() => {
    const padded = tf.pad(
      tf.reshape(images, [batch, height, width]),
      [
        [0, 0],
        [s, s],
        [s, s],
      ],
      -1,
    ) as tfCore.Tensor3D;
    const picked = tf.matMul(tf.tensor3d(rows, [batch, height, height + 2 * s]), padded);
    const shifted = tf.matMul(picked, tf.tensor3d(cols, [batch, width, width + 2 * s]), false, true);
    const cut = tf.mul(shifted, tf.tensor3d(mask, [batch, height, width]));
    return tf.reshape(cut, [batch, height, width, 1]) as tfCore.Tensor4D;
  });
}
