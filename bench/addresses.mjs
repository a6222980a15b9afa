/**
 * The farm's address layout, shared by bench/farm.mjs and bench/run.mjs: index i → an address in
 * 127.64.0.0/10 (all of 127.0.0.0/8 is local on Linux), skipping .0/.255 octets so each looks like
 * an ordinary host address. 62,500 addresses per second octet; 250 per third.
 */
export function addressAt(i) {
  const a = 64 + Math.floor(i / 62_500);
  const b = Math.floor(i / 250) % 250;
  const c = (i % 250) + 1;
  return `127.${a}.${b + 1}.${c}`;
}
