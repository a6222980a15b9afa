/**
 * A policy receiver for test/mta/logs.test.ts, run INSIDE the lab namespace with
 * `ip netns exec <ns> node logs-receiver.mjs <ip>` (an in-process server would listen outside it).
 * smtp-server on <ip>:25, no STARTTLS, no AUTH. Decides at RCPT by the recipient's domain:
 *   ok.test    250 (and the message is accepted at end of DATA)
 *   ptr.test   550 5.7.25 Gmail's no-PTR refusal text
 *   grey.test  451 4.7.1 greylisted on a recipient's first try, 250 on the next
 * Prints "ready" once listening.
 */
import { SMTPServer } from 'smtp-server';

const ip = process.argv[2] ?? '127.0.0.30';
const seen = new Set();
const server = new SMTPServer({
  name: 'mx.receiver.test',
  banner: 'lab policy receiver',
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  onRcptTo(address, session, cb) {
    const rcpt = address.address.toLowerCase();
    const domain = rcpt.slice(rcpt.lastIndexOf('@') + 1);
    if (domain === 'ptr.test') {
      const e = new Error(
        '5.7.25 [' + session.remoteAddress + '] The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not match the sending IP.',
      );
      e.responseCode = 550;
      return cb(e);
    }
    if (domain === 'grey.test' && !seen.has(rcpt)) {
      seen.add(rcpt);
      const e = new Error('4.7.1 <' + rcpt + '>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/grey.test.html');
      e.responseCode = 451;
      return cb(e);
    }
    return cb();
  },
  onData(stream, _session, cb) {
    stream.on('data', () => {});
    stream.on('end', () => cb(null, 'Ok: queued'));
  },
});
server.on('error', (e) => {
  process.stderr.write(`receiver error: ${e.message}\n`);
});
server.listen(25, ip, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
