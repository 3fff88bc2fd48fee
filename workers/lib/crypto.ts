// Small wrappers over Web Crypto: random ids, base64, hashing, constant-time compare and
// AES-GCM for secrets at rest (each ciphertext names its key, so SECRETS_KEY can be rotated).

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Decodes standard or URL-safe base64; null when the text is not base64. */
export function base64ToBytes(text: string): Uint8Array | null {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** A random identifier of `bytes` × 8 bits, URL-safe, with a readable prefix. */
export function randomId(prefix: string, bytes = 16): string {
  return prefix + bytesToHex(randomBytes(bytes));
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return bytesToHex(new Uint8Array(digest));
}

/** Constant-time equality of two strings (length is not secret). */
export function timingSafeEqualText(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}

export async function hmacSha256(key: Uint8Array, message: string): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode(message)));
}

/**
 * The keys that open stored secrets: the current one (SECRETS_KEY) first, which seals
 * every new secret, then the previous ones (SECRETS_KEY_PREVIOUS, comma-separated), which
 * only open secrets sealed before a rotation.
 */
export type KeyRing = readonly [current: string, ...previous: string[]];

export function keyRingOf(env: { SECRETS_KEY: string; SECRETS_KEY_PREVIOUS?: string }): KeyRing {
  const previous = (env.SECRETS_KEY_PREVIOUS ?? "").split(",").map((key) => key.trim()).filter((key) => key !== "" && key !== env.SECRETS_KEY);
  return [env.SECRETS_KEY, ...previous];
}

function rawKey(base64Key: string): Uint8Array {
  const raw = base64ToBytes(base64Key);
  if (!raw || raw.byteLength !== 32) throw new Error("a secrets key (SECRETS_KEY, SECRETS_KEY_PREVIOUS) must be 32 bytes in base64");
  return raw;
}

async function secretsKey(base64Key: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", rawKey(base64Key), "AES-GCM", false, ["encrypt", "decrypt"]);
}

/**
 * A key's id as ciphertexts record it: hex of the first 8 bytes of SHA-256 of the raw key.
 * It names the key among a few without revealing anything usable about it.
 */
export async function keyId(base64Key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", rawKey(base64Key));
  return bytesToHex(new Uint8Array(digest).subarray(0, 8));
}

/** Sealed secrets of this version record their key: `v2.<key id>.<base64 iv>.<base64 ciphertext ‖ tag>`. */
const SEALED_V2 = /^v2\.([0-9a-f]{16})\.([A-Za-z0-9+/=_-]+)\.([A-Za-z0-9+/=_-]+)$/;

/** The key id a sealed secret records; null for a legacy one (base64(iv ‖ ciphertext), no key id). */
export function sealedKeyId(sealed: string): string | null {
  return SEALED_V2.exec(sealed)?.[1] ?? null;
}

/** AES-256-GCM with a random 96-bit IV under `base64Key`; returns `v2.<key id>.<iv>.<ciphertext ‖ tag>`. */
export async function encryptSecret(plaintext: string, base64Key: string): Promise<string> {
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await secretsKey(base64Key),
    new TextEncoder().encode(plaintext),
  );
  return `v2.${await keyId(base64Key)}.${bytesToBase64(iv)}.${bytesToBase64(new Uint8Array(ciphertext))}`;
}

async function open(iv: Uint8Array, ciphertext: Uint8Array, base64Key: string): Promise<string> {
  const plaintext = await crypto.subtle.decrypt({ name: "AES-GCM", iv }, await secretsKey(base64Key), ciphertext);
  return new TextDecoder().decode(plaintext);
}

/**
 * Opens a sealed secret with `keys` (one key, or a key ring, current first). A v2 secret is
 * opened with the key its id names, and no other; a legacy one (no key id) is tried with
 * each key in turn. Throws when no key opens it (the error never carries the secret).
 */
export async function decryptSecret(sealed: string, keys: string | readonly string[]): Promise<string> {
  const ring = typeof keys === "string" ? [keys] : keys;
  const v2 = SEALED_V2.exec(sealed);
  if (v2) {
    const [, kid, ivText, ciphertextText] = v2;
    const iv = base64ToBytes(ivText!);
    const ciphertext = base64ToBytes(ciphertextText!);
    if (!iv || iv.byteLength !== 12 || !ciphertext || ciphertext.byteLength < 16) throw new Error("sealed secret is malformed");
    for (const key of ring) {
      if ((await keyId(key)) === kid) return open(iv, ciphertext, key);
    }
    throw new Error(`no configured secrets key has the id ${kid} (set it in SECRETS_KEY_PREVIOUS)`);
  }
  const legacy = base64ToBytes(sealed);
  if (!legacy || legacy.byteLength < 13) throw new Error("sealed secret is malformed");
  for (const key of ring) {
    try {
      return await open(legacy.subarray(0, 12), legacy.subarray(12), key);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("a secrets key")) throw error;
    }
  }
  throw new Error("no configured secrets key opens this legacy sealed secret");
}
