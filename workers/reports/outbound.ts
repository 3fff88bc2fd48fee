// Outbound calls to URLs a workspace admin sets (the deploy hook, the digest webhook): which
// URLs may be called at all, and a bounded POST with retries. The URL must be https to a
// public host (checked when it is set and again before every call); redirects are not
// followed; each attempt times out; the URL (which often embeds a secret) is never logged.
import { SECOND_MS } from "../../shared/units";
import { backoffDelayMs } from "../lib/backoff";

export interface HookOptions {
  attempts?: number;
  /** Milliseconds before the first retry; doubles each time. */
  backoffMs?: number;
  /** Milliseconds an attempt may take: a hook that never answers is abandoned. */
  timeoutMs?: number;
}

/** Three attempts, 2 s apart at first, 10 s each: a hook is never waited on for long. */
export const HOOK_DEFAULTS: Required<HookOptions> = { attempts: 3, backoffMs: 2 * SECOND_MS, timeoutMs: 10 * SECOND_MS };

// ---- Which URLs may be called --------------------------------------------------------

/**
 * The local-development flag: `ALLOW_LOCAL_DEPLOY_HOOKS = "true"` (a Worker var, off by
 * default) lets a hook be http(s)://localhost, 127.0.0.1 or [::1]. Read from process.env,
 * which the Workers runtime fills with the vars (nodejs_compat), so that the API's zod
 * schema and the cron read the same flag without the request's env.
 */
export function localDeployHooksAllowed(): boolean {
  const processEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return processEnv?.ALLOW_LOCAL_DEPLOY_HOOKS === "true";
}

/** Host names that are never public: loopback, cloud metadata, internal and mDNS zones. */
const PRIVATE_NAME = /(^|\.)(localhost|internal|local|localdomain|home\.arpa|intranet|lan|corp)$/;
const LOCAL_DEV_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** IPv4 ranges that are not public (RFC 6890 special-purpose and the like), as [first octets, prefix]. */
const PRIVATE_V4: [number[], number][] = [
  [[0], 8], // "this network", 0.0.0.0 unspecified
  [[10], 8], // RFC 1918
  [[100, 64], 10], // CGNAT
  [[127], 8], // loopback
  [[169, 254], 16], // link-local, 169.254.169.254 metadata
  [[172, 16], 12], // RFC 1918
  [[192, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2], 24], // TEST-NET-1
  [[192, 88, 99], 24], // 6to4 relay
  [[192, 168], 16], // RFC 1918
  [[198, 18], 15], // benchmarking
  [[198, 51, 100], 24], // TEST-NET-2
  [[203, 0, 113], 24], // TEST-NET-3
  [[224], 4], // multicast
  [[240], 4], // reserved, 255.255.255.255 broadcast
];

function v4Number(octets: number[]): number {
  return octets.reduce((n, o) => n * 256 + o, 0);
}

function isPrivateV4(octets: number[]): boolean {
  const address = v4Number(octets);
  return PRIVATE_V4.some(([start, prefix]) => {
    const base = v4Number([...start, 0, 0, 0, 0].slice(0, 4));
    const size = 2 ** (32 - prefix);
    return address >= base && address < base + size;
  });
}

/** The eight 16-bit groups of an IPv6 address as the URL parser serialises it (no brackets). */
function v6Groups(address: string): number[] | null {
  const [head, tail, ...rest] = address.split("::");
  if (rest.length > 0) return null;
  const parse = (part: string | undefined) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const first = parse(head);
  const last = parse(tail);
  const groups = tail === undefined ? first : [...first, ...Array(8 - first.length - last.length).fill(0), ...last];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

function isPrivateV6(groups: number[]): boolean {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const embeddedV4 = [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    // ::, ::1, IPv4-compatible ::a.b.c.d and IPv4-mapped ::ffff:a.b.c.d
    if (g5 === 0 || g5 === 0xffff) return g5 === 0 && g6 === 0 ? true : isPrivateV4(embeddedV4);
  }
  if (g0 === 0x64 && g1 === 0xff9b) return isPrivateV4(embeddedV4); // NAT64
  if ((g0 & 0xfe00) === 0xfc00) return true; // ULA fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return true; // site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  if (g0 === 0x2002) return isPrivateV4([g1 >> 8, g1 & 0xff, g2 >> 8, g2 & 0xff]); // 6to4
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only
  return false;
}

/**
 * Why `raw` may not be called (a deploy hook, a digest webhook), or null when it may: https to a public host. The
 * WHATWG URL parser normalises the host first, so that decimal, hex and octal IPv4 forms
 * (http://2130706433/, http://0x7f.1/, http://0177.0.0.1/) and IPv4-mapped IPv6 are checked
 * as the address they are. Only literal addresses and names can be checked here (a public
 * name that resolves to a private address is the network's business: a deployed Worker
 * cannot reach private networks).
 */
export function hookUrlProblem(raw: string, allowLocal = localDeployHooksAllowed()): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (allowLocal && LOCAL_DEV_HOSTS.has(host) && (url.protocol === "http:" || url.protocol === "https:")) return null;
  if (url.protocol !== "https:") return "must be an https URL";
  if (host === "") return "has no host";
  if (host.startsWith("[")) {
    const groups = v6Groups(host.slice(1, -1));
    if (groups === null || isPrivateV6(groups)) return `${host} is not a public address`;
    return null;
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
    return isPrivateV4(host.split(".").map(Number)) ? `${host} is not a public address` : null;
  }
  if (!host.includes(".")) return `${host} is not a public host name`;
  if (PRIVATE_NAME.test(host) || host === "metadata.google.internal") return `${host} is not a public host name`;
  return null;
}

/** The longest error text kept of a failed attempt. */
const MAX_ERROR_CHARS = 500;

export interface Outcome {
  attempts: number;
  /** HTTP status of the last attempt, null when it did not answer. */
  status: number | null;
  /** Null when the hook answered 2xx. */
  error: string | null;
}

/** What is POSTed: the user agent names the hook; a body is optional (a deploy hook takes none). */
export interface HookRequest {
  userAgent: string;
  body?: { contentType: string; text: string };
}

/** POSTs `url` until it answers 2xx or the attempts run out. */
export async function postWithRetries(
  url: string,
  request: HookRequest,
  { attempts, backoffMs, timeoutMs }: Required<HookOptions>,
): Promise<Outcome> {
  let status: number | null = null;
  let error: string | null = null;
  let attempt = 0;
  while (attempt < attempts) {
    attempt++;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "user-agent": request.userAgent,
          ...(request.body ? { "content-type": request.body.contentType } : {}),
        },
        body: request.body?.text ?? null,
        signal: AbortSignal.timeout(timeoutMs),
        // A 3xx is answered as the hook's answer (a failed call): a redirect to an
        // internal address would otherwise be followed past the URL check.
        redirect: "manual",
      });
      status = response.status;
      await response.body?.cancel();
      if (response.ok) {
        error = null;
        break;
      }
      if (response.status >= 300 && response.status < 400) {
        // Another answer would be the same redirect: no retry.
        error = `HTTP ${response.status}: redirects are not followed`;
        break;
      }
      error = `HTTP ${response.status}`;
    } catch (cause) {
      status = null;
      error = String(cause).slice(0, MAX_ERROR_CHARS);
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, { firstMs: backoffMs })));
  }
  return { attempts: attempt, status, error };
}

