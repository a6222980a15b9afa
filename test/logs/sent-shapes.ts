/**
 * The shapes of Postfix delivery lines that the in-place readers (fast.ts sentLine and fastbytes.ts) must either
 * read exactly as parsePostfix does or leave to it: every optional field, then each shape that is parsePostfix's
 * business. Shared by fast.test.ts and fastbytes.test.ts, which both compare against the general parser. ASCII
 * only, so a chunk of them stays on the byte path; non-ASCII shapes are added by the test that wants them.
 */
export function sentShapes(at: string): string[] {
  return [
    // A deferral first, so that a delivery read in place must find it (delivered after a deferral).
    `${at}4ABC: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=4.7.1, status=deferred (host mx[192.0.2.1] said: 450 4.7.1 no PTR (in reply to RCPT TO command))`,
    `${at}4ABC: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)`,
    `${at}4ABD: to=<a@b.example>, orig_to=<x@y>, relay=mx[192.0.2.1]:25, conn_use=2, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)`,
    `${at}4ABD: to=<a@b.example>, relay=mx.b.example[192.0.2.2]:25, delay=1, status=sent`,
    `${at}4ABD: to=<a@b.example>, relay=local, delay=1, status=sent (delivered to mailbox)`,
    `${at}4ABD: to=<a@b.example>, relay=none, delay=1, status=sent (x)`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.3, delay=1, status=sent (no closing bracket)`,
    `${at}4ABD: to=<ab.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (no @)`,
    `${at}4ABD: to=<>, relay=mx[192.0.2.1]:25, delay=1, status=sent (empty)`,
    `${at}4ABD: to=<a@c@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (two @)`,
    // parsePostfix's business: upper case, a forward, odd status words, line terminators, broken fields.
    `${at}4ABD: to=<a@B.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (250 ok)`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok: forwarded as 4ABE)`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sentx (250 ok)`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent\t(250 ok)`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (250\rok)`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=, status=sent (empty delay)`,
    `${at}4ABD: to=<a@b.example>, relay=, delay=1, status=sent (empty relay)`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, conn_use=, delay=1, status=sent (x)`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1,status=sent (x)`,
    `${at}4ABD: to=<a@b.example>,relay=mx[192.0.2.1]:25, delay=1, status=sent (x)`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0 status=sent (x)`,
    `${at}4A:BD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (x)`,
    `${at}4A-BD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent (x)`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent`,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=sent `,
    `${at}4ABD: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, status=`,
    `${at}4ABD: to=<a@b.example`,
    `${at}4ABD: to=<a@b.example>`,
    `${at}4ABD: to=<a@b.example>, orig_to=<x@y`,
  ];
}
