// Small wrappers over Web Crypto: random ids, base64, hashing, constant-time compare and
// AES-GCM for secrets at rest.

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

async function secretsKey(base64Key: string): Promise<CryptoKey> {
  const raw = base64ToBytes(base64Key);
  if (!raw || raw.byteLength !== 32) throw new Error("SECRETS_KEY must be 32 bytes in base64");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** AES-256-GCM with a random 96-bit IV; returns base64(iv ‖ ciphertext ‖ tag). */
export async function encryptSecret(plaintext: string, base64Key: string): Promise<string> {
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await secretsKey(base64Key),
    new TextEncoder().encode(plaintext),
  );
  const sealed = new Uint8Array(iv.byteLength + ciphertext.byteLength);
  sealed.set(iv);
  sealed.set(new Uint8Array(ciphertext), iv.byteLength);
  return bytesToBase64(sealed);
}

export async function decryptSecret(sealedBase64: string, base64Key: string): Promise<string> {
  const sealed = base64ToBytes(sealedBase64);
  if (!sealed || sealed.byteLength < 13) throw new Error("sealed secret is malformed");
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.subarray(0, 12) },
    await secretsKey(base64Key),
    sealed.subarray(12),
  );
  return new TextDecoder().decode(plaintext);
}
