import { INLINE_IMAGE_MAX_BYTES, inspectImage, UPLOAD_LIMITS } from "@ganvas/shared";
import { describe, expect, it } from "vitest";
import { jpegOfSize, pngOfSize, realImages, webpOfSize } from "./fixtures/images.ts";

// Pure checks on the sniffer (no services): real encoder output passes, every prefix of it fails.
const real = await realImages();

describe("inspectImage", () => {
  it.each(Object.entries(real))("accepts %s as libvips wrote it", (name, bytes) => {
    expect(inspectImage(bytes)).toEqual({
      ok: true,
      info: { format: name.split("-")[0], width: 64, height: 48 },
    });
  });

  it.each(Object.entries(real))("refuses every truncation of %s", (_, bytes) => {
    for (let cut = 1; cut < bytes.length; cut++) {
      const check = inspectImage(bytes.subarray(0, cut));
      expect(check.ok, `cut at ${cut} of ${bytes.length}`).toBe(false);
    }
  });

  it("refuses bombs from the header alone, before the structure is walked", () => {
    // Header-only files: their structure is incomplete, yet the answer is about the size.
    for (const bytes of [
      pngOfSize(100_000, 100_000, { rows: 0 }),
      jpegOfSize(60_000, 60_000, { complete: false }),
      webpOfSize(16_000, 16_000),
    ]) {
      expect(inspectImage(bytes)).toMatchObject({ ok: false, kind: "too-large" });
    }
  });

  it("accepts exactly the limits and refuses one past them", () => {
    const side = UPLOAD_LIMITS.maxSide;
    // The sniffer never decodes, so a header over a single row of data is judged on its declared size.
    expect(inspectImage(pngOfSize(4096, 4096, { rows: 1 })).ok).toBe(true);
    expect(inspectImage(pngOfSize(4097, 4096, { rows: 1 }))).toMatchObject({ kind: "too-large" });
    expect(inspectImage(pngOfSize(side, 1)).ok).toBe(true);
    expect(inspectImage(pngOfSize(side + 1, 1))).toMatchObject({ kind: "too-large" });
    expect(INLINE_IMAGE_MAX_BYTES).toBeLessThan(UPLOAD_LIMITS.maxBytes);
  });

  it("names what it was sent instead", () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(inspectImage(text("GIF89a..."))).toMatchObject({
      kind: "unsupported",
      message: expect.stringContaining("GIF"),
    });
    expect(inspectImage(text("<svg/>"))).toMatchObject({
      kind: "unsupported",
      message: expect.stringContaining("SVG"),
    });
  });
});
