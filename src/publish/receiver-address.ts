/**
 * Where a webhook may be sent. The hub POSTs personal data from inside the
 * council's network, so a subscriber URL must not reach an address no
 * receiver can have: link-local (169.254.0.0/16, where cloud metadata
 * services answer, and fe80::/10), unspecified (0.0.0.0/8, ::, which reach
 * this machine), multicast and broadcast. Receivers on the council's own
 * network (private ranges) and on this machine are real deployments and
 * stay allowed. Checked when a URL is given, and again at sending for the
 * addresses its host name resolves to for the connection itself.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

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

export class ForbiddenReceiver extends Error {
  readonly code = 'EFORBIDDENRECEIVER';
  constructor() {
    super("the receiver's address is not allowed (link-local, unspecified, multicast or broadcast)");
    this.name = 'ForbiddenReceiver';
  }
}

/** Resolves a host name to every address it has, as dns.lookup does with `all`. */
export type Resolve = (hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolve: Resolve = (hostname, options, callback) => dnsLookup(hostname, { ...options, all: true }, callback);

/**
 * A `lookup` for the sending connection: it refuses a host with any
 * forbidden address and hands the connection only the addresses it checked.
 * Checking in a lookup of its own and then connecting (as fetch would) left a
 * window in which the name could resolve elsewhere (DNS rebinding).
 */
export function checkedLookup(resolve: Resolve = systemResolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options, (error, addresses) => {
      if (error) callback(error, []);
      else if (addresses.length === 0) callback(Object.assign(new Error('the host name has no address'), { code: 'ENOTFOUND' }), []);
      else if (addresses.some((a) => forbiddenAddress(a.address))) callback(new ForbiddenReceiver(), []);
      else if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
