import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Addresses a callback may not target unless the operator allows private targets. */
const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
// IPv4-mapped IPv6 (::ffff:a.b.c.d) needs no entry: BlockList checks it against the IPv4 subnets
// above. (An entry ::ffff:0:0/96 would also match every plain IPv4 address and refuse them all.)
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  // Forms that embed an IPv4 address the IPv4 list cannot see, and ranges no callback needs:
  // NAT64, IPv4-compatible (::a.b.c.d, deprecated), SIIT (::ffff:0:a.b.c.d), 6to4 (2002::/16) and
  // Teredo (2001::/32), both deprecated tunnels; site-local (fec0::/10, deprecated).
  ['64:ff9b::', 96],
  ['::', 96],
  ['::ffff:0:0:0', 96],
  ['2002::', 16],
  ['2001::', 32],
  ['fec0::', 10],
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

export type CallbackUrlCheck = { ok: true; url: URL } | { ok: false; code: string; message: string };

/** Resolves a host name to every address it has (dns.lookup with all: true). */
export type ResolveHost = (host: string) => Promise<{ address: string; family: number }[]>;

const resolveWithDns: ResolveHost = (host) => lookup(host, { all: true, verbatim: true });

function isInternal(address: string, family: number): boolean {
  return internal.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

function notAllowed(host: string): { ok: false; code: string; message: string } {
  return {
    ok: false,
    code: 'callback_url_not_allowed',
    message: `callbackUrl host ${host} resolves to an internal address; an operator can allow it with SWITCHYARD_ALLOW_PRIVATE_CALLBACKS=true`,
  };
}

/**
 * Checks a callback URL: http(s) only, no credentials, and (unless `allowPrivate`) a host that
 * resolves only to public addresses, so callbacks cannot be aimed at internal services.
 * Run at submission and again before every delivery (DNS can change in between); the delivery then
 * connects through {@link callbackLookup}, which checks the addresses it connects to (a name that
 * resolves to a public address for the check and to an internal one for the connection gets nowhere).
 */
export async function checkCallbackUrl(
  raw: string,
  options: { allowPrivate: boolean; resolve?: ResolveHost },
): Promise<CallbackUrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, code: 'invalid_callback_url', message: 'callbackUrl is not a valid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, code: 'invalid_callback_url', message: 'callbackUrl must be http or https' };
  }
  if (url.username || url.password) {
    return { ok: false, code: 'invalid_callback_url', message: 'callbackUrl must not carry credentials' };
  }
  if (options.allowPrivate) return { ok: true, url };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await (options.resolve ?? resolveWithDns)(host);
  } catch {
    return { ok: false, code: 'callback_host_unresolvable', message: `callbackUrl host ${host} does not resolve` };
  }
  if (addresses.length === 0) {
    return { ok: false, code: 'callback_host_unresolvable', message: `callbackUrl host ${host} does not resolve` };
  }
  for (const { address, family } of addresses) if (isInternal(address, family)) return notAllowed(host);
  return { ok: true, url };
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

/**
 * The `lookup` of a callback's HTTP connection: resolves the host again and refuses (ECONNREFUSED-like
 * error naming the rule) when any address is internal, so the socket only ever opens to an address
 * that passed the check. IP literals never reach it (they were checked as written).
 */
export function callbackLookup(options: { allowPrivate: boolean; resolve?: ResolveHost }) {
  return (hostname: string, lookupOptions: { all?: boolean }, callback: LookupCallback): void => {
    (options.resolve ?? resolveWithDns)(hostname).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(
            Object.assign(new Error(`callbackUrl host ${hostname} does not resolve`), { code: 'ENOTFOUND' }),
            '',
          );
          return;
        }
        if (!options.allowPrivate && addresses.some(({ address, family }) => isInternal(address, family))) {
          callback(Object.assign(new Error(notAllowed(hostname).message), { code: 'ECONNREFUSED' }), '');
          return;
        }
        if (lookupOptions.all) callback(null, addresses);
        else {
          const first = addresses[0] as { address: string; family: number };
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
