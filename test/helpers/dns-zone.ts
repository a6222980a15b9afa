/** Test-side entry point to the DNS zone fixture (the same server the demo lab runs). */
export { startDnsServer, zone, withPtr } from '../../src/lab/dns-server.js';
export type { DnsServerHandle, Zone, ZoneRecords } from '../../src/lab/dns-server.js';
export { reverseName } from '../../src/dns/reverse.js';
