/**
 * Which local address would the kernel use to reach `ip`? A connected UDP socket answers that
 * without sending a single packet (connect(2) on a datagram socket only sets the default peer).
 * Needed to build the `literal`, `bare-ip` and `dynamic` identities when --source is not given.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export function predictSourceAddress(ip: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = createSocket(isIPv6(ip) ? 'udp6' : 'udp4');
    const finish = (value: string | null) => {
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      resolve(value);
    };
    sock.on('error', () => finish(null));
    try {
      sock.connect(port, ip, () => {
        try {
          finish(sock.address().address);
        } catch {
          finish(null);
        }
      });
    } catch {
      finish(null);
    }
  });
}
