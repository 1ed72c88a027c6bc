import { sha256Hex } from "@ganvas/shared";
import type { MiddlewareHandler } from "hono";
import { type AppEnv, type Env, isDev } from "./env.ts";
import { ProblemError } from "./problems.ts";
import { takeToken } from "./rate-limit.ts";

/**
 * Writes need `Authorization: Bearer <api key>`. Keys are configured only as sha256 hex digests
 * (GANVAS_API_KEY_HASHES), so the Worker's configuration never holds a usable key. A set lookup on the
 * digest leaks nothing useful through timing: finding a digest's prefix does not help find a key.
 * With no digests configured, development mode (GANVAS_DEV=1) lets anyone write; production refuses.
 */

const DEFAULT_PER_MINUTE = 120;
const BEARER = /^Bearer +([\x21-\x7e]{1,512})$/i;

let parsed: { raw: string; hashes: Set<string> } | undefined;

function keyHashes(env: Env): Set<string> {
  const raw = env.GANVAS_API_KEY_HASHES ?? "";
  if (parsed?.raw !== raw) {
    const entries = raw.split(/[\s,]+/).filter(Boolean);
    const hashes = new Set(entries.filter((h) => /^[0-9a-f]{64}$/i.test(h)).map((h) => h.toLowerCase()));
    if (hashes.size !== entries.length) {
      console.error(
        JSON.stringify({
          level: "error",
          message: "GANVAS_API_KEY_HASHES has entries that are not sha256 hex; ignored",
        }),
      );
    }
    parsed = { raw, hashes };
  }
  return parsed.hashes;
}

function unauthorized(detail: string, error?: "invalid_token"): ProblemError {
  const challenge = `Bearer realm="ganvas"${error ? `, error="${error}"` : ""}`;
  return new ProblemError("unauthorized", detail, { headers: { "www-authenticate": challenge } });
}

/** Who is writing: `key:<digest prefix>`, or `anonymous:<client ip>` when auth is off. */
async function authenticate(env: Env, header: string | undefined, clientIp: string): Promise<string> {
  const hashes = keyHashes(env);
  if (hashes.size === 0) {
    if (isDev(env)) return `anonymous:${clientIp}`;
    throw unauthorized(
      "this deployment has no API keys configured (GANVAS_API_KEY_HASHES), so it accepts no writes",
    );
  }
  if (!header) throw unauthorized("send your API key as Authorization: Bearer <key>");
  const token = BEARER.exec(header.trim())?.[1];
  if (!token) throw unauthorized("the Authorization header must be Bearer <key>", "invalid_token");
  const digest = await sha256Hex(token);
  if (!hashes.has(digest)) throw unauthorized("the API key is not valid", "invalid_token");
  return `key:${digest.slice(0, 16)}`;
}

/** Authenticates a write and charges it to the caller's rate limit. */
export const writer: MiddlewareHandler<AppEnv> = async (c, next) => {
  const principal = await authenticate(
    c.env,
    c.req.header("authorization"),
    c.req.header("cf-connecting-ip") ?? "local",
  );
  c.set("principal", principal);
  const perMinute = Number(c.env.GANVAS_RATE_LIMIT_PER_MINUTE ?? DEFAULT_PER_MINUTE);
  if (Number.isFinite(perMinute) && perMinute > 0) {
    const take = takeToken(principal, perMinute);
    c.header("ratelimit-limit", String(perMinute));
    if (!take.ok) {
      c.header("ratelimit-remaining", "0");
      throw new ProblemError(
        "rate-limited",
        `at most ${perMinute} writes a minute per API key; retry in ${take.retryAfterS} s`,
        {
          headers: { "retry-after": String(take.retryAfterS) },
        },
      );
    }
    c.header("ratelimit-remaining", String(take.remaining));
  }
  await next();
};
