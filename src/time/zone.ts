import { IANAZone } from 'luxon';

/** True for IANA zone names that this Node build (full ICU) knows, plus "UTC". */
export function isValidTimeZone(tz: string): boolean {
  if (tz === 'UTC') return true;
  // IANAZone.isValidZone accepts offsets like "UTC+1" only through other factories; names must be IANA.
  return /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz) && IANAZone.isValidZone(tz);
}
