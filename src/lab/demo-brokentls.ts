/**
 * Demo receiver with broken STARTTLS (issue 12 §A): it advertises STARTTLS and answers
 * "454 4.7.0 TLS not available due to local problem", as Postfix does when its key is unreadable.
 * HELO checks like the postfix receiver's (at RCPT), so the demo shows that every identity is
 * still judged in plaintext while the host is flagged STARTTLS "broken" (`starttls-broken`).
 */
import type { DemoReceiver } from './demo-lab.js';
import type { Reply, ResponderPolicy } from './smtp-responder.js';

export const BROKEN_TLS_RECEIVER: DemoReceiver = {
  name: 'brokentls',
  domain: 'brokentls.demo.test',
  exchange: 'mx.brokentls.demo.test',
  ip: '127.0.1.7',
  behaviour: 'offers STARTTLS, answers 454 (unreadable key); HELO checks at RCPT',
};

const TLS_UNAVAILABLE: Reply = { code: 454, enhanced: '4.7.0', lines: ['TLS not available due to local problem'] };

/** `postfixLike` is the postfix receiver's policy (HELO restrictions at RCPT); only STARTTLS differs. */
export function brokenTlsPolicy(postfixLike: ResponderPolicy): ResponderPolicy {
  return {
    ...postfixLike,
    hostname: BROKEN_TLS_RECEIVER.exchange,
    banner: () => ({ code: 220, lines: [`${BROKEN_TLS_RECEIVER.exchange} ESMTP`] }),
    starttls: () => TLS_UNAVAILABLE,
  };
}
