/**
 * The order of names in every report: by UTF-16 code units (JavaScript's default string order), the same on every
 * machine. `localeCompare` without a locale uses the process's default locale, taken from LANG / LC_ALL, so one
 * result sorted differently on two machines (under et_EE "z" sorts before "t"; under en_US "a.c" before "ab" and
 * "z" before "Z"), and its first call loads ICU's collator (~25 ms of start-up). Where a report wants a human order
 * on purpose (the table's origins, numeric-aware), it names its locale explicitly instead.
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
