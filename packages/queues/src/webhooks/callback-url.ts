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
  // NAT64: embeds an IPv4 address the IPv4 list cannot see.
  ['64:ff9b::', 96],
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

export type CallbackUrlCheck = { ok: true; url: URL } | { ok: false; code: string; message: string };

/**
 * Checks a callback URL: http(s) only, no credentials, and (unless `allowPrivate`) a host that
 * resolves only to public addresses, so callbacks cannot be aimed at internal services.
 * Run at submission and again before every delivery (DNS can change in between).
 */
export async function checkCallbackUrl(raw: string, options: { allowPrivate: boolean }): Promise<CallbackUrlCheck> {
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
    addresses = isIP(host)
      ? [{ address: host, family: isIP(host) }]
      : await lookup(host, { all: true, verbatim: true });
  } catch {
    return { ok: false, code: 'callback_host_unresolvable', message: `callbackUrl host ${host} does not resolve` };
  }
  for (const { address, family } of addresses) {
    if (internal.check(address, family === 6 ? 'ipv6' : 'ipv4')) {
      return {
        ok: false,
        code: 'callback_url_not_allowed',
        message: `callbackUrl host ${host} resolves to an internal address; an operator can allow it with SWITCHYARD_ALLOW_PRIVATE_CALLBACKS=true`,
      };
    }
  }
  return { ok: true, url };
}
