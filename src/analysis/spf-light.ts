/**
 * mailauth's SPF evaluation (lib/spf/index.js and lib/spf/spf-verify.js) without the rest of
 * mailauth's module graph (issue 13 part 3: the fixed cost of a probe run).
 *
 * Why: `require('mailauth/lib/spf/index.js')` loads lib/tools.js, which loads libmime (with
 * iconv-lite and encoding-japanese's tables), joi (with @hapi/hoek, @hapi/tlds, …), tldts and
 * node:https: about 0.23 s of CPU on these machines, paid once by every probe run with alignment
 * on, on the main thread, while the first receivers' replies wait. The SPF check itself uses two
 * small functions of tools.js (getPtrHostname, formatDomain) and one domain check of joi's; the
 * rest feeds the Received-SPF / Authentication-Results header text, which mxprobe never reads.
 *
 * How: the two files are compiled here, privately (vm.compileFunction, their own module objects,
 * never put in require.cache, so no other code ever gets these copies), with a `require` that
 * hands them stand-ins for '../tools', 'joi' and 'libmime'. Everything else they require
 * (punycode.js, ipaddr.js, ./macro, node built-ins) is the real module, resolved from mailauth's
 * own directory. The SPF logic (RFC 7208 check_host, the 10-lookup and 2-void-lookup limits,
 * the dual-stack a/mx rule, the result texts) is mailauth's code, unchanged.
 *
 * Guard: every stand-in throws on any name it does not define, and the joi stand-in on any
 * option set other than the one it reproduces. A mailauth release that needs more from them
 * fails while loading here, and spf.ts falls back to the whole graph (slower, same results)
 * instead of running an SPF check with something missing. test/analysis/spf-light.test.ts checks
 * that this path loads and judges like the full one.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { compileFunction } from 'node:vm';

/** mailauth's spf() as mxprobe uses it: the fields of the response heloSpf reads. */
export type LightSpf = (opts: {
  ip: string;
  helo: string;
  sender: string;
  mta: string;
  resolver: (name: string, rrtype: string) => Promise<unknown[]>;
}) => Promise<{ status: { result: string; comment?: string | false }; rr?: string }>;

/** A stand-in lacks something mailauth's SPF code asks for: load the full graph instead. */
export class SpfLightGap extends Error {
  readonly code = 'E_SPF_LIGHT_GAP';
  constructor(what: string) {
    super(`the light SPF loader does not provide ${what}`);
  }
}

/** `impl`, but reading any name it does not define throws (at mailauth's load, where it destructures). */
function only<T extends object>(what: string, impl: T): T {
  return new Proxy(impl, {
    get(target, key) {
      if (typeof key === 'string' && !Object.hasOwn(target, key)) throw new SpfLightGap(`${what}.${key}`);
      return Reflect.get(target, key);
    },
  });
}

type CjsRequire = (id: string) => unknown;

/** Compiles one CommonJS file as node would (the same wrapper arguments), with our `require`. */
function compilePrivate(file: string, overrides: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const real = createRequire(file);
  const req: CjsRequire = (id) => (Object.hasOwn(overrides, id) ? overrides[id] : real(id));
  const fn = compileFunction(readFileSync(file, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  const mod = { exports: {} as Record<string, unknown> };
  fn.call(mod.exports, mod.exports, req, mod, file, dirname(file));
  return mod.exports;
}

/**
 * Loads mailauth's spf() with the stand-ins. Throws (SpfLightGap or any load error) when it
 * cannot; the caller then loads mailauth's SPF entry point as it is.
 */
export function loadLightSpf(): LightSpf {
  const here = createRequire(import.meta.url);
  const indexPath = here.resolve('mailauth/lib/spf/index.js');
  const fromIndex = createRequire(indexPath);
  const verifyPath = fromIndex.resolve('./spf-verify');
  const toolsPath = fromIndex.resolve('../tools');
  // The very @hapi/address joi itself validates domains with (joi/lib/types/string.js requires
  // it from joi's directory), without loading joi: its domain.js alone, no TLD list.
  const fromJoi = createRequire(fromIndex.resolve('joi'));
  const { isDomainValid } = fromJoi(fromJoi.resolve('@hapi/address/dist/domain.js')) as {
    isDomainValid: (domain: string, options: Record<string, unknown>) => boolean;
  };
  const punycode = createRequire(toolsPath)('punycode.js') as { toASCII(s: string): string };

  const tools = only('mailauth/lib/tools', {
    // Copied from mailauth 4.13 lib/tools.js: the reverse owner name of an address (RFC 7208 §5.5).
    getPtrHostname(parsedAddr: { toByteArray(): number[] }): string {
      const bytes = parsedAddr.toByteArray();
      if (bytes.length === 4) {
        return `${bytes.map((a) => a.toString(10)).reverse().join('.')}.in-addr.arpa`;
      }
      return `${bytes.flatMap((a) => a.toString(16).padStart(2, '0').split('')).reverse().join('.')}.ip6.arpa`;
    },
    // Copied from mailauth 4.13 lib/tools.js.
    formatDomain(domain: string): string {
      domain = domain.toLowerCase().trim();
      try {
        domain = punycode.toASCII(domain).toLowerCase().trim();
      } catch {
        // mailauth ignores punycode errors too
      }
      return domain;
    },
    // Only for the header text (response.header and response.info), dropped below.
    formatAuthHeaderRow: (): string => '',
    escapeCommentValue: (): string => '',
  });
  const libmime = only('libmime', {
    // Only for folding response.header, dropped below.
    foldLines: (s: string): string => s,
  });
  // joi 18's Joi.string().domain(options).validate(value) for the one option set mailauth uses:
  // any/string base rules (undefined passes; a non-string and '' fail), then @hapi/address's
  // isDomainValid with the options as given (joi passes them through when tlds is false).
  const joi = only('joi', {
    string: () =>
      only('joi.string()', {
        domain(options: Record<string, unknown>) {
          if (JSON.stringify(options) !== '{"allowUnicode":false,"tlds":false}') throw new SpfLightGap(`joi.string().domain(${JSON.stringify(options)})`);
          return only('joi schema', {
            validate(value: unknown): { value: unknown; error?: Error } {
              if (value === undefined) return { value };
              const ok = typeof value === 'string' && value !== '' && isDomainValid(value, options);
              return ok ? { value } : { value, error: new Error('"value" must contain a valid domain name') };
            },
          });
        },
      }),
  });

  const verify = compilePrivate(verifyPath, { '../tools': tools });
  const index = compilePrivate(indexPath, { './spf-verify': verify, '../tools': tools, joi, libmime });
  const spf = index['spf'];
  if (typeof spf !== 'function') throw new SpfLightGap('spf() from mailauth/lib/spf/index.js');
  return async (opts) => {
    const res = (await (spf as LightSpf)(opts)) as Awaited<ReturnType<LightSpf>> & { header?: unknown; info?: unknown };
    // Built with the stand-ins above, so not the real text: never handed on.
    delete res.header;
    delete res.info;
    return res;
  };
}
