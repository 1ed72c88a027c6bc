/** A request the edge must refuse, and the answer it documents for it. */
export interface BadCase {
  name: string;
  method?: string;
  path: string;
  /** Default: JSON content type (JSON endpoints) and a valid API key. */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Leave out the Authorization header. */
  noAuth?: boolean;
  /** Leave out the JSON content type. */
  raw?: boolean;
  status: number;
  type: string;
  /** For validation failures: a field path the problem's `errors` must name. */
  errorPath?: string;
}

export interface Fixtures {
  /** A small valid upload. */
  small: string;
  /** A 2000×1000 upload: fine for ×2 super-resolution, too many pixels for ×4. */
  big: string;
  /** A job that has already succeeded, which cannot be canceled. */
  succeeded: string;
  /** Inline images as data URLs, keyed by what is wrong with them. */
  inline: Record<string, string>;
  /** A valid API key whose variations must fail. */
  key: string;
}

export const T2I = "/v1/images/text-to-image";
export const ST = "/v1/images/style-transfer";
export const SR = "/v1/images/super-resolution";

const validation = (errorPath: string) => ({ status: 422, type: "validation", errorPath });

function validBodies(fx: Fixtures): Record<string, Record<string, unknown>> {
  return {
    [T2I]: { prompt: "a red dress" },
    [ST]: { input: fx.small, style: "starry-night" },
    [SR]: { input: fx.small, scale: 2 },
  };
}

/** What every JSON endpoint must refuse the same way. */
function generic(path: string, valid: Record<string, unknown>, fx: Fixtures, limit: number): BadCase[] {
  const json = JSON.stringify(valid);
  const cases: BadCase[] = [];
  const add = (name: string, c: Omit<BadCase, "name" | "path">) =>
    cases.push({ name: `${path} ${name}`, path, ...c });

  for (const type of [
    "",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/jsonx",
    "application/json; charset=latin1",
    "text/json",
  ]) {
    add(`content-type "${type}"`, {
      headers: { "content-type": type },
      body: json,
      status: 415,
      type: "unsupported-media-type",
    });
  }

  const malformed: [string, string | Uint8Array][] = [
    ["empty body", ""],
    ["lone brace", "{"],
    ["closing brace", "}"],
    ["bare word", "{nope"],
    ["single quotes", "{'prompt':'a dress'}"],
    ["trailing comma", json.replace(/}$/, ",}")],
    ["undefined", "undefined"],
    ["NaN", "NaN"],
    ["trailing garbage", `${json} x`],
    ["comment", `/* c */${json}`],
    ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ["UTF-16 body", new Uint8Array([...json].flatMap((ch) => [ch.charCodeAt(0), 0]))],
    ["raw control character in a string", `{"prompt":"a\u0001dress"}`],
    ["two documents", `${json}${json}`],
  ];
  for (const [name, body] of malformed) add(name, { body, status: 400, type: "malformed-json" });

  for (const body of ["null", "[]", "1", '"text"', "true", `[${json}]`]) {
    add(`body ${body.slice(0, 20)}`, { body, ...validation("(body)") });
  }
  for (const [name, body] of [
    ["unknown field", { ...valid, extra: 1 }],
    ["constructor field", { ...valid, constructor: {} }],
    ["webhook with unknown field", { ...valid, webhook: { url: "https://example.com/h", secret: "x" } }],
  ] as const) {
    add(name, {
      body: JSON.stringify(body),
      ...validation(name === "webhook with unknown field" ? "webhook" : "(body)"),
    });
  }
  add("__proto__ field", { body: `{"__proto__":{"polluted":1},${json.slice(1)}`, ...validation("(body)") });

  add("no Authorization", { noAuth: true, body: json, status: 401, type: "unauthorized" });
  for (const [name, value] of [
    ["Basic scheme", "Basic Z2FudmFzOmdhbnZhcw=="],
    ["Bearer without key", "Bearer"],
    ["Bearer with blank key", "Bearer    "],
    ["wrong key", "Bearer gk_not_a_real_key"],
    ["key with a suffix", `Bearer ${fx.key}x`],
    ["key with a prefix", `Bearer x${fx.key}`],
    ["key and extra words", `Bearer ${fx.key} please`],
    ["oversized key", `Bearer ${"k".repeat(600)}`],
    ["key without scheme", fx.key],
  ]) {
    add(`Authorization: ${name}`, {
      headers: { authorization: value as string },
      body: json,
      status: 401,
      type: "unauthorized",
    });
  }
  add(`body of ${limit + 1} bytes`, {
    body: `{"prompt":"${"x".repeat(limit)}"}`,
    status: 413,
    type: "payload-too-large",
  });

  for (const [name, webhook] of [
    ["webhook as a string", "https://example.com/h"],
    ["webhook without url", {}],
    ["webhook with no events", { url: "https://example.com/h", events: [] }],
    ["webhook with an unknown event", { url: "https://example.com/h", events: ["job.started"] }],
    ["webhook url not a URL", { url: "not a url" }],
    ["webhook url of 2049 chars", { url: `https://example.com/${"a".repeat(2029)}` }],
    ["webhook url a number", { url: 42 }],
  ] as const) {
    const path = typeof webhook === "object" && "url" in webhook ? "webhook.url" : "webhook";
    add(name, {
      body: JSON.stringify({ ...valid, webhook }),
      ...validation(name.includes("event") ? "webhook.events" : path),
    });
  }
  return cases;
}

function field(
  path: string,
  valid: Record<string, unknown>,
  name: string,
  values: unknown[],
  errorPath = name,
) {
  return values.map(
    (value, i): BadCase => ({
      name: `${path} ${name} #${i} ${JSON.stringify(value)?.slice(0, 40)}`,
      path,
      body: JSON.stringify({ ...valid, [name]: value }),
      ...validation(errorPath),
    }),
  );
}

export function jsonCases(fx: Fixtures): BadCase[] {
  const v = validBodies(fx);
  const t2i = v[T2I] ?? {};
  const st = v[ST] ?? {};
  const sr = v[SR] ?? {};
  const { prompt: _, ...noPrompt } = t2i;
  const { style: __, ...noStyle } = st;
  const { input: ___, ...noInput } = sr;
  const { input: ____, ...noInputSt } = st;
  const inputValues = [
    "abc",
    "A".repeat(64),
    "0".repeat(63),
    "0".repeat(65),
    "g".repeat(64),
    "f".repeat(64),
    7,
    null,
  ];
  const imageValues = [
    "hello",
    "data:text/plain;base64,aGVsbG8=",
    "data:image/png,rawbytes",
    "data:image/png;base64,@@@@",
    "data:image/png;base64,abc",
    "data:image/png;base64,",
    42,
    ...Object.values(fx.inline),
  ];
  return [
    ...generic(T2I, t2i, fx, 64 * 1024),
    ...generic(ST, st, fx, 384 * 1024),
    ...generic(SR, sr, fx, 384 * 1024),
    { name: "t2i without prompt", path: T2I, body: JSON.stringify(noPrompt), ...validation("prompt") },
    ...field(T2I, t2i, "prompt", [
      "",
      "   ",
      "\n\t",
      "x".repeat(501),
      `a dress ${"y".repeat(5000)}`,
      42,
      ["a dress"],
      { text: "a dress" },
      null,
      true,
      "a dress\u0000",
      "a \u0007 dress",
      "\ud800 a dress",
      "a dress \udfff",
      "\u001b[31ma dress",
      "a dress\u0085",
      "a spaceship",
      "👗👠",
      "一件连衣裙",
      "\u200b",
    ]),
    ...field(T2I, t2i, "n", [0, 9, -1, 1.5, "2", null, true, 100000, [], 1e300]),
    {
      name: "t2i body nested 30000 deep",
      path: T2I,
      body: `${"[".repeat(30_000)}${"]".repeat(30_000)}`,
      ...validation("(body)"),
    },
    {
      name: "t2i prompt nested 20000 deep",
      path: T2I,
      body: `{"prompt":${"[".repeat(20_000)}${"]".repeat(20_000)}}`,
      ...validation("prompt"),
    },
    { name: "t2i n 1e400 (Infinity)", path: T2I, body: '{"prompt":"a dress","n":1e400}', ...validation("n") },
    { name: "t2i n -0", path: T2I, body: '{"prompt":"a dress","n":-0}', ...validation("n") },
    ...field(T2I, t2i, "seed", [-1, 4294967296, 1.5, "7", null, 1e20, {}]),
    ...field(T2I, t2i, "model", [
      "",
      "UPPER",
      "dalle",
      "fashion-cdcgan@99",
      "fashion-cdcgan@",
      "../etc/passwd",
      "a".repeat(64),
      1,
      null,
      "fashion-cdcgan@1@2",
      "srgan",
    ]),
    { name: "st without style", path: ST, body: JSON.stringify(noStyle), ...validation("style") },
    ...field(ST, st, "style", [
      "",
      "nope",
      "Starry Night",
      "starry_night",
      1,
      null,
      "a".repeat(64),
      ["starry-night"],
    ]),
    {
      name: "st style the model lacks",
      path: ST,
      body: JSON.stringify({ ...st, style: "noto-emoji", model: "cyclegan" }),
      ...validation("style"),
    },
    ...field(ST, st, "model", ["srgan", "cyclegan@7", "pix2pix@0", "Cyclegan"]),
    ...field(ST, st, "input", inputValues, "input"),
    ...field(ST, noInputSt, "image", imageValues, "image"),
    {
      name: "st with input and image",
      path: ST,
      body: JSON.stringify({ ...st, image: fx.inline.gif }),
      ...validation("image"),
    },
    {
      name: "st with neither input nor image",
      path: ST,
      body: JSON.stringify({ style: "starry-night" }),
      ...validation("input"),
    },
    ...field(SR, sr, "scale", [3, "2", 8, 0, 2.5, null, true, -2, 1]),
    ...field(SR, sr, "model", ["cyclegan", "srgan@9", "fashion-cdcgan"]),
    {
      name: "sr ×4 of a 2000×1000 input",
      path: SR,
      body: JSON.stringify({ input: fx.big, scale: 4 }),
      ...validation("input"),
    },
    ...field(SR, sr, "input", inputValues, "input"),
    ...field(SR, noInput, "image", imageValues, "image"),
    {
      name: "sr with neither input nor image",
      path: SR,
      body: JSON.stringify({ scale: 2 }),
      ...validation("input"),
    },
    {
      name: "sr with input and image",
      path: SR,
      body: JSON.stringify({ ...sr, image: fx.inline.gif }),
      ...validation("image"),
    },
  ];
}
