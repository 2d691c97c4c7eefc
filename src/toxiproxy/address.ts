import { isIP } from 'node:net';

/** A host and port split out of a `host:port` address. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Split `host:port` like Go's net.SplitHostPort (IPv6 in brackets). Throws
 * an Error worded like Go's when the port is missing or invalid.
 */
export function splitHostPort(address: string): HostPort {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) throw new Error(`address ${address}: missing ']' in address`);
    if (address[close + 1] !== ':') throw new Error(`address ${address}: missing port in address`);
    host = address.slice(1, close);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) throw new Error(`address ${address}: missing port in address`);
    host = address.slice(0, colon);
    if (host.includes(':')) throw new Error(`address ${address}: too many colons in address`);
    portText = address.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new Error(`address ${address}: invalid port`);
  }
  return { host, port: Number(portText) };
}

/** `host:port`, with IPv6 hosts in brackets. */
export function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The address a listen host binds to: `localhost` and the empty host mean 127.0.0.1. */
export function bindHost(host: string): string {
  return host === '' || host.toLowerCase() === 'localhost' ? '127.0.0.1' : host;
}

/** A listen address as it would be reported once bound (host resolved, port kept). Throws on a malformed address. */
export function resolveListen(address: string): string {
  const { host, port } = address === '' ? { host: '', port: 0 } : splitHostPort(address);
  return joinHostPort(bindHost(host), port);
}

/** True for `localhost`, 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h.toLowerCase() === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    const lower = h.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  }
  return false;
}
