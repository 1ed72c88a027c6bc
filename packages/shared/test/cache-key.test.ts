import { describe, expect, it } from "vitest";
import { cacheKey, RequestFieldError, TextToImageRequest, textToImageSpec } from "../src/index.ts";

async function keyOf(body: unknown): Promise<string> {
  return cacheKey(await textToImageSpec(TextToImageRequest.parse(body)));
}

describe("cache key", () => {
  it("is a sha256 hex string", async () => {
    expect(await keyOf({ prompt: "a dress" })).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not depend on field order", async () => {
    expect(await keyOf({ prompt: "a dress", n: 2, seed: 7 })).toBe(
      await keyOf({ seed: 7, n: 2, prompt: "a dress" }),
    );
  });

  it("fills defaults, so spelling them out changes nothing", async () => {
    expect(await keyOf({ prompt: "a dress" })).toBe(
      await keyOf({ prompt: "a dress", n: 1, model: "fashion-cdcgan" }),
    );
    expect(await keyOf({ prompt: "a dress" })).toBe(
      await keyOf({ prompt: "a dress", model: "fashion-cdcgan@3" }),
    );
  });

  it("normalises the prompt's unicode and whitespace", async () => {
    const a = await keyOf({ prompt: "  a  caf\u00e9   dress " });
    expect(await keyOf({ prompt: "a cafe\u0301 dress" })).toBe(a);
  });

  it("derives a stable seed when none is given, and differs per seed and prompt", async () => {
    const spec = await textToImageSpec(TextToImageRequest.parse({ prompt: "a dress" }));
    expect(spec.params.seed).toBeTypeOf("number");
    expect(await keyOf({ prompt: "a dress" })).toBe(
      await keyOf({ prompt: "a dress", seed: spec.params.seed }),
    );
    expect(await keyOf({ prompt: "a dress", seed: 1 })).not.toBe(await keyOf({ prompt: "a dress", seed: 2 }));
    expect(await keyOf({ prompt: "a dress" })).not.toBe(await keyOf({ prompt: "a coat" }));
  });

  it("a temperature below 1 is part of the key but not of the derived seed; 1 is the default, left out", async () => {
    const plain = await textToImageSpec(TextToImageRequest.parse({ prompt: "a dress" }));
    const cool = await textToImageSpec(TextToImageRequest.parse({ prompt: "a dress", temperature: 0.5 }));
    expect(cool.params).toEqual({ ...plain.params, temperature: 0.5 });
    expect(await keyOf({ prompt: "a dress", temperature: 0.5 })).not.toBe(await keyOf({ prompt: "a dress" }));
    expect(await keyOf({ prompt: "a dress", temperature: 1 })).toBe(await keyOf({ prompt: "a dress" }));
    for (const temperature of [0, 0.05, 1.5, "0.5"]) {
      const parsed = TextToImageRequest.safeParse({ prompt: "a dress", temperature });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(["temperature"]);
    }
  });

  it("ignores the webhook, which is delivery, not content", async () => {
    expect(await keyOf({ prompt: "a bag", webhook: { url: "https://example.com/h" } })).toBe(
      await keyOf({ prompt: "a bag" }),
    );
  });

  it("names the field and the allowed values when the model or prompt is unknown", async () => {
    await expect(
      textToImageSpec(TextToImageRequest.parse({ prompt: "a dress", model: "nope" })),
    ).rejects.toMatchObject({
      path: "model",
      allowed: [
        "fashion-cdcgan@1",
        "fashion-cdcgan@2",
        "fashion-cdcgan@3",
        "digits-cdcgan@1",
        "digits-cdcgan@2",
        "shapes-tcgan@1",
        "shapes-tcgan@2",
        "shapes-tcgan@3",
        "shapes-tcgan@4",
        "shapes-tcgan@5",
        "shapes-tcgan@6",
        "shapes-tcgan@7",
      ],
    });
    const err = await textToImageSpec(TextToImageRequest.parse({ prompt: "a spaceship" })).catch((e) => e);
    expect(err).toBeInstanceOf(RequestFieldError);
    expect(err.path).toBe("prompt");
    expect(err.allowed).toContain("ankle boot");
  });
});
