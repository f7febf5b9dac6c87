/**
 * Where a webhook may be sent. The hub POSTs personal data from inside the
 * council's network, so a subscriber URL must not reach an address no
 * receiver can have: link-local (169.254.0.0/16, where cloud metadata
 * services answer, and fe80::/10), unspecified (0.0.0.0/8, ::, which reach
 * this machine), multicast and broadcast. Receivers on the council's own
 * network (private ranges) and on this machine are real deployments and
 * stay allowed. Checked when a URL is given, and again at sending for the
 * addresses its host name resolves to then.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const FORBIDDEN = new BlockList();
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4');
FORBIDDEN.addSubnet('0.0.0.0', 8, 'ipv4');
FORBIDDEN.addSubnet('224.0.0.0', 4, 'ipv4');
FORBIDDEN.addAddress('255.255.255.255', 'ipv4');
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6');
FORBIDDEN.addAddress('::', 'ipv6');
FORBIDDEN.addSubnet('ff00::', 8, 'ipv6');

/** A URL's host name without the brackets of an IPv6 literal. */
const bare = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');

/** Whether an IP address (IPv4-mapped IPv6 included) is one no receiver can have. */
export function forbiddenAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && FORBIDDEN.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Whether a URL's host, as written, is a forbidden address (WHATWG URLs normalise 0xA9FEA9FE and the like to dotted form). */
export const forbiddenHost = (url: URL): boolean => forbiddenAddress(bare(url.hostname));

/** Whether the host resolves, now, to a forbidden address; a name that does not resolve is left to the request to fail. */
export async function resolvesToForbidden(url: URL): Promise<boolean> {
  const host = bare(url.hostname);
  if (isIP(host) !== 0) return forbiddenAddress(host);
  const addresses = await lookup(host, { all: true }).catch(() => []);
  return addresses.some((a) => forbiddenAddress(a.address));
}
