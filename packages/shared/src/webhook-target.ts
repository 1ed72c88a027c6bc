/**
 * Where a webhook may be delivered. A caller chooses the URL and our worker makes the request, so a URL that
 * reaches loopback, a private network, link-local or a cloud metadata service would let anyone probe the
 * inside of our network (SSRF). The edge checks the URL as written; DNS is not available in workerd, so a
 * public hostname whose records point inside is caught only by the deliverer, which should re-check every
 * resolved address with `isPublicAddress` before connecting.
 *
 * The WHATWG URL parser already turns IPv4 in decimal ("2130706433"), hex ("0x7f.1"), octal ("0177.0.0.1")
 * and short forms ("127.1") into dotted quads, folds full-width digits and IDNA-maps hostnames; the checks
 * below see that canonical host.
 */

/** IPv4 special-purpose ranges (RFC 6890 and the IANA registry) that must never receive a webhook. */
const V4_BLOCKED: readonly [number, number][] = [
  [0x00000000, 8], // "this network"
  [0x0a000000, 8], // private
  [0x64400000, 10], // carrier-grade NAT (also Alibaba's metadata 100.100.100.200)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local, incl. 169.254.169.254 metadata
  [0xac100000, 12], // private
  [0xc0000000, 24], // IETF protocol assignments
  [0xc0000200, 24], // TEST-NET-1
  [0xc0586300, 24], // 6to4 relay anycast
  [0xc0a80000, 16], // private
  [0xc6120000, 15], // benchmarking
  [0xc6336400, 24], // TEST-NET-2
  [0xcb007100, 24], // TEST-NET-3
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, incl. broadcast
];

/** Hostnames that name internal services, or wildcard DNS services that resolve any name to any IP. */
const BLOCKED_SUFFIXES = [
  "localhost",
  "local",
  "internal",
  "intranet",
  "lan",
  "arpa",
  "nip.io",
  "sslip.io",
  "xip.io",
  "localtest.me",
  "lvh.me",
  "vcap.me",
];

export function parseIPv4(host: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** 8 sixteen-bit groups, or undefined; accepts "::" compression and a trailing dotted quad. */
export function parseIPv6(input: string): number[] | undefined {
  let host = input.replace(/^\[|\]$/g, "").toLowerCase();
  if (host.includes("%")) host = host.slice(0, host.indexOf("%")); // zone id
  const quad = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(host);
  if (quad?.[1]) {
    const v4 = parseIPv4(quad[1]);
    if (v4 === undefined) return undefined;
    host = `${host.slice(0, -quad[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = host.split("::");
  if (halves.length > 2) return undefined;
  const side = (s: string | undefined) => (s ? s.split(":") : []);
  const head = side(halves[0]);
  const tail = side(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(Math.max(0, missing)).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => Number.parseInt(g, 16));
}

function v4Public(ip: number): boolean {
  return !V4_BLOCKED.some(
    ([base, bits]) => Math.floor(ip / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)),
  );
}

function v6Public(g: number[]): boolean {
  const [a = 0, b = 0] = g;
  const embedded = (i: number) => (g[i] ?? 0) * 0x10000 + (g[i + 1] ?? 0);
  const zeroUntil = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUntil(6)) return false; // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
  if (zeroUntil(5) && g[5] === 0xffff) return v4Public(embedded(6)); // IPv4-mapped
  if (zeroUntil(4)) return false; // IPv4-translated ::ffff:0:a.b.c.d and other unassigned forms
  if (a === 0x64 && b === 0xff9b) return v4Public(embedded(6)); // NAT64 well-known prefix
  if (a === 0x2002) return v4Public(embedded(1)); // 6to4 carries an IPv4 address
  if (a === 0x2001 && b === 0) return false; // Teredo hides an (obfuscated) IPv4 address
  if (a === 0x2001 && b === 0xdb8) return false; // documentation
  if (a === 0x100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return false; // discard-only 100::/64
  if ((a & 0xfe00) === 0xfc00) return false; // unique local, incl. AWS's fd00:ec2::254 metadata
  if ((a & 0xffc0) === 0xfe80 || (a & 0xffc0) === 0xfec0) return false; // link-local, old site-local
  if ((a & 0xff00) === 0xff00) return false; // multicast
  return true;
}

/** True for an IP literal that is routable on the public internet; false for anything else. */
export function isPublicAddress(ip: string): boolean {
  const v4 = parseIPv4(ip);
  if (v4 !== undefined) return v4Public(v4);
  const v6 = parseIPv6(ip);
  return v6 !== undefined && v6Public(v6);
}

export function isLoopbackHost(host: string): boolean {
  const h = host
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const v4 = parseIPv4(h);
  if (v4 !== undefined) return v4 >>> 24 === 127;
  const v6 = parseIPv6(h);
  if (!v6) return false;
  return v6.slice(0, 7).every((x) => x === 0) && v6[7] === 1;
}

/**
 * Why a webhook URL is refused, or undefined when it is acceptable. `dev` allows http and https to loopback
 * (a receiver on the developer's machine); nothing else private is allowed even then.
 */
export function webhookUrlProblem(raw: string, options: { dev: boolean }): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute http(s) URL";
  }
  const host = url.hostname.replace(/\.$/, "").toLowerCase();
  if (options.dev && isLoopbackHost(host) && (url.protocol === "http:" || url.protocol === "https:")) {
    return undefined;
  }
  if (url.protocol !== "https:") return "must use https";
  if (url.username || url.password) return "must not carry credentials";
  if (host === "") return "must name a host";
  if (host.startsWith("[")) {
    return isPublicAddress(host) ? undefined : "must not point at a loopback, private or link-local address";
  }
  if (parseIPv4(host) !== undefined) {
    return isPublicAddress(host) ? undefined : "must not point at a loopback, private or link-local address";
  }
  if (/^[0-9.]+$/.test(host) || /^0x/i.test(host)) return "is not a valid host";
  if (BLOCKED_SUFFIXES.some((s) => host === s || host.endsWith(`.${s}`))) {
    return "must not point at an internal or wildcard-DNS hostname";
  }
  if (!host.includes(".")) return "must be a fully qualified public hostname";
  if (host === "metadata" || host.startsWith("metadata.") || host.startsWith("instance-data.")) {
    return "must not point at a cloud metadata service";
  }
  return undefined;
}
