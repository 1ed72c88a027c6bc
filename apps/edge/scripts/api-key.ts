import { sha256Hex } from "@ganvas/shared";

/**
 * `npm run api-key -w @ganvas/edge`: makes a new API key and prints it with the sha256 digest to add to
 * GANVAS_API_KEY_HASHES. Only the digest goes into the Worker's configuration; hand the key to its owner.
 */
const bytes = crypto.getRandomValues(new Uint8Array(24));
const key = `gk_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
console.log(`API key (give it to the client, store it nowhere else): ${key}`);
console.log(`sha256 (append to GANVAS_API_KEY_HASHES, comma-separated): ${await sha256Hex(key)}`);
console.log("e.g. npx wrangler secret put GANVAS_API_KEY_HASHES");
