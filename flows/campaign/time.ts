// Wall-clock date-times in a campaign's time zone ("19/10/2026 18:00", Europe/Paris)
// to instants and back, and short durations ("7d", "48h"). Built on Intl only: the
// zone's offset at an instant comes from formatToParts, and a local time is turned
// into an instant by correcting a first guess with the offset found there.
import { fold } from '../text.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

interface WallTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
}

const partFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = partFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC at an instant, in milliseconds (Europe/Paris in summer: +2 h). */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of partsFormatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - (instant.getTime() - instant.getUTCMilliseconds());
}

/**
 * The instant at which the wall clock of `timeZone` shows `wall`. A time skipped by a
 * spring-forward change resolves to the instant just after the gap; a repeated time
 * (autumn) to its first occurrence.
 */
export function zonedToInstant(wall: WallTime, timeZone: string): Date {
  const naive = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  const first = naive - zoneOffsetMs(new Date(naive), timeZone);
  const second = naive - zoneOffsetMs(new Date(first), timeZone);
  if (first === second) return new Date(first);
  // Offsets differ on both sides of a change: take the candidate that shows the wanted time, earliest first.
  const candidates = [Math.min(first, second), Math.max(first, second)];
  for (const candidate of candidates) {
    if (candidate + zoneOffsetMs(new Date(candidate), timeZone) === naive) return new Date(candidate);
  }
  return new Date(Math.max(first, second));
}

function validWall(w: WallTime): boolean {
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.hour > 23 || w.minute > 59) return false;
  const daysInMonth = new Date(Date.UTC(w.year, w.month, 0)).getUTCDate();
  return w.day <= daysInMonth && w.year >= 2000 && w.year <= 2200;
}

export interface ParseDateOptions {
  /** A date without a time means the end of that day (23:59), as for a closing date. */
  endOfDay?: boolean;
}

/**
 * Reads a date-time as organisers type it: "2026-10-19 18:00", "2026-10-19T18:00",
 * "19/10/2026 18h00", "19/10/2026" (a date alone is 00:00, or 23:59 with endOfDay),
 * or a full ISO instant with Z or an offset (then the zone is not used).
 */
export function parseDateTime(
  text: string,
  timeZone: string,
  options: ParseDateOptions = {},
): Date | undefined {
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s_]+(\d{1,2})[:hH](\d{2})?)?$/.exec(t);
  const french = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[\s_]+(?:à\s*)?(\d{1,2})[:hH](\d{2})?)?$/.exec(t);
  let wall: WallTime;
  let hasTime: boolean;
  if (iso) {
    hasTime = iso[4] !== undefined;
    wall = {
      year: Number(iso[1]),
      month: Number(iso[2]),
      day: Number(iso[3]),
      hour: Number(iso[4] ?? 0),
      minute: Number(iso[5] ?? 0),
    };
  } else if (french) {
    hasTime = french[4] !== undefined;
    wall = {
      year: Number(french[3]),
      month: Number(french[2]),
      day: Number(french[1]),
      hour: Number(french[4] ?? 0),
      minute: Number(french[5] ?? 0),
    };
  } else {
    return undefined;
  }
  if (!hasTime && options.endOfDay) {
    wall.hour = 23;
    wall.minute = 59;
  }
  if (!validWall(wall)) return undefined;
  return zonedToInstant(wall, timeZone);
}

/** "7d", "7j", "48h", "30min", "90m", or a bare number of days ("7"). */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,4})\s*(d|j|jours?|days?|h|heures?|hours?|min|minutes?|m)?$/.exec(fold(text));
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'd';
  if (n === 0) return undefined;
  if (/^(d|j|jours?|days?)$/.test(unit)) return n * DAY;
  if (/^(h|heures?|hours?)$/.test(unit)) return n * HOUR;
  return n * MINUTE;
}

/** The shortest exact writing of a duration: "7d", "36h", "90min". Stable: used in stored keys. */
export function formatDuration(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  return `${Math.round(ms / MINUTE)}min`;
}

const displayFormatters = new Map<string, Intl.DateTimeFormat>();

/** The locale whose conventions a language's dates follow (English: day before month). */
export function dateLocale(lang: string): string {
  return lang === 'fr' ? 'fr-FR' : lang === 'en' ? 'en-GB' : lang;
}

function displayFormatter(lang: string, timeZone: string, style: 'full' | 'medium'): Intl.DateTimeFormat {
  const key = `${lang}|${timeZone}|${style}`;
  let formatter = displayFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(dateLocale(lang), { timeZone, dateStyle: style, timeStyle: 'short' });
    displayFormatters.set(key, formatter);
  }
  return formatter;
}

/** A date-time for people: "lundi 19 octobre 2026 à 18:00" in the campaign's zone. */
export function formatDateTime(instant: Date, timeZone: string, lang: string): string {
  return displayFormatter(lang, timeZone, 'full').format(instant);
}

/** A compact date-time for lists and the dashboard: "19 oct. 2026, 18:00" / "19 Oct 2026, 18:00". */
export function formatShort(instant: Date, timeZone: string, lang: string): string {
  return displayFormatter(lang, timeZone, 'medium').format(instant);
}
