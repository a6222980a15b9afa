/**
 * Whether output may carry ANSI colour. One rule for every renderer and the progress spinner:
 * `--no-color` turns it off, and so does NO_COLOR when present and not empty (https://no-color.org:
 * "when present and not an empty string (regardless of its value), prevents the addition of ANSI
 * color"), so `NO_COLOR= cmd` in a script that unsets it by assignment keeps colours on.
 */
export function colorAllowed(flagColor: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  if (flagColor === false) return false;
  const v = env['NO_COLOR'];
  return v === undefined || v === '';
}
