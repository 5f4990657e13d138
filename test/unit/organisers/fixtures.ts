// Shared test data for the organisers' unit tests.
import type { Campaign } from '../../../flows/campaign/model.ts';
import { DEFAULT_REMINDER_OFFSETS_MS, numericLevels } from '../../../flows/campaign/model.ts';

export const T0 = new Date('2026-09-01T08:00:00Z');
export const OPENS = new Date('2026-09-19T07:00:00Z');
export const CLOSES = new Date('2026-10-19T16:00:00Z');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function campaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    id: 'tnl-2026',
    year: 2026,
    name: 'Label TNL 2026',
    questionnaireId: 'tnl-2026',
    levels: numericLevels(),
    timeZone: 'Europe/Paris',
    opensAt: OPENS,
    closesAt: CLOSES,
    juryDeadline: new Date('2026-11-30T17:00:00Z'),
    reminderOffsetsMs: DEFAULT_REMINDER_OFFSETS_MS,
    status: 'open',
    deadlineSetAt: T0,
    resultsAt: null,
    createdAt: T0,
    createdBy: '@orga:localhost',
    openedAt: T0,
    closedAt: null,
    publishedAt: null,
    ...overrides,
  };
}
