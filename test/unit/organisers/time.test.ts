import { describe, expect, it } from 'vitest';
import {
  DAY,
  formatDuration,
  formatShort,
  parseDateTime,
  parseDuration,
  zoneOffsetMs,
} from '../../../flows/campaign/time.ts';

const PARIS = 'Europe/Paris';

describe('zoned date-times', () => {
  it('reads a Paris wall time in summer (UTC+2) and in winter (UTC+1)', () => {
    expect(parseDateTime('2026-10-19 18:00', PARIS)?.toISOString()).toBe('2026-10-19T16:00:00.000Z');
    expect(parseDateTime('2026-12-01T09:30', PARIS)?.toISOString()).toBe('2026-12-01T08:30:00.000Z');
  });

  it('reads the French day/month order and "18h00"', () => {
    expect(parseDateTime('19/10/2026 18h00', PARIS)?.toISOString()).toBe('2026-10-19T16:00:00.000Z');
    expect(parseDateTime('19/10/2026 à 18h', PARIS)?.toISOString()).toBe('2026-10-19T16:00:00.000Z');
  });

  it('a date alone is midnight, or 23:59 for a closing date', () => {
    expect(parseDateTime('2026-10-19', PARIS)?.toISOString()).toBe('2026-10-18T22:00:00.000Z');
    expect(parseDateTime('2026-10-19', PARIS, { endOfDay: true })?.toISOString()).toBe(
      '2026-10-19T21:59:00.000Z',
    );
  });

  it('takes an explicit offset or Z as is', () => {
    expect(parseDateTime('2026-10-19T18:00:00Z', PARIS)?.toISOString()).toBe('2026-10-19T18:00:00.000Z');
    expect(parseDateTime('2026-10-19T18:00+05:00', PARIS)?.toISOString()).toBe('2026-10-19T13:00:00.000Z');
  });

  it('handles the days the clocks change', () => {
    // 25 October 2026: 03:00 CEST becomes 02:00 CET; 01:30 is before the change (UTC+2).
    expect(parseDateTime('2026-10-25 01:30', PARIS)?.toISOString()).toBe('2026-10-24T23:30:00.000Z');
    expect(parseDateTime('2026-10-25 04:00', PARIS)?.toISOString()).toBe('2026-10-25T03:00:00.000Z');
    // 29 March 2026: 02:30 does not exist in Paris; it resolves just after the gap.
    expect(parseDateTime('2026-03-29 02:30', PARIS)?.toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('refuses impossible dates and other text', () => {
    for (const text of ['2026-02-30', '31/04/2026', '2026-10-19 25:00', 'demain', '', '19/10']) {
      expect(parseDateTime(text, PARIS)).toBeUndefined();
    }
  });

  it('gives the zone offset and a compact local form', () => {
    expect(zoneOffsetMs(new Date('2026-07-01T00:00:00Z'), PARIS)).toBe(2 * 3_600_000);
    expect(zoneOffsetMs(new Date('2026-01-01T00:00:00Z'), 'America/New_York')).toBe(-5 * 3_600_000);
    expect(formatShort(new Date('2026-10-19T16:00:00Z'), PARIS, 'fr')).toBe('19 oct. 2026, 18:00');
    expect(formatShort(new Date('2026-10-19T16:00:00Z'), PARIS, 'en')).toBe('19 Oct 2026, 18:00');
  });
});

describe('durations', () => {
  it('reads days, hours and minutes in French and English', () => {
    expect(parseDuration('7j')).toBe(7 * DAY);
    expect(parseDuration('7 days')).toBe(7 * DAY);
    expect(parseDuration('2')).toBe(2 * DAY);
    expect(parseDuration('48h')).toBe(2 * DAY);
    expect(parseDuration('90min')).toBe(90 * 60_000);
    expect(parseDuration('0')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('writes them back in the shortest exact form', () => {
    expect(formatDuration(7 * DAY)).toBe('7d');
    expect(formatDuration(36 * 3_600_000)).toBe('36h');
    expect(formatDuration(90 * 60_000)).toBe('90min');
  });
});
