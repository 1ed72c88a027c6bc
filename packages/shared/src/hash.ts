const encoder = new TextEncoder();

/** Web Crypto is present in both workerd and Node ≥ 20, so one implementation serves edge and worker. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  // Web Crypto refuses views of SharedArrayBuffer; Node's Buffers may be pooled on one, so copy those.
  const bytes = typeof data === "string" ? encoder.encode(data) : new Uint8Array(data);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return toHex(new Uint8Array(digest));
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
