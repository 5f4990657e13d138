// The pure decisions of the lobby and direct chats (flows/reach.ts).
import { describe, expect, it } from 'vitest';
import type { ConversationView } from '../../../flows/conversation.ts';
import {
  decideDirect,
  dependsOnCandidacies,
  directRequest,
  isReturn,
  ordinalOf,
  placeOf,
  returnReplies,
  roomNameFor,
} from '../../../flows/reach.ts';
import { fixture } from './fixture.ts';

describe('directRequest', () => {
  it('reads the start, continue and new commands in French and English, and the rest', () => {
    expect(directRequest('!candidater')).toBe('start');
    expect(directRequest('  ! Apply ')).toBe('start');
    expect(directRequest('!candidater en plus')).toBe('start');
    expect(directRequest('!continuer')).toBe('continue');
    expect(directRequest('!Continue')).toBe('continue');
    expect(directRequest('!reprendre')).toBe('continue');
    expect(directRequest('!nouvelle')).toBe('new');
    expect(directRequest('!new')).toBe('new');
    expect(directRequest('!aide')).toBe('help');
    expect(directRequest('!help')).toBe('help');
    expect(directRequest('!soumettre')).toBe('command');
    expect(directRequest('!continuer maintenant')).toBe('command');
    expect(directRequest('Bonjour')).toBe('text');
    expect(directRequest('')).toBe('text');
  });
});

describe('decideDirect', () => {
  const decide = (
    request: Parameters<typeof decideDirect>[0]['request'],
    ongoing: number,
    room: 'dm' | 'lobby' = 'dm',
    createdHere = false,
  ) => decideDirect({ request, room, ongoing, createdHere }).kind;

  it('a first contact or a start without a candidacy opens one', () => {
    expect(decide('greeting', 0)).toBe('create');
    expect(decide('start', 0)).toBe('create');
    expect(decide('start', 0, 'lobby')).toBe('create');
    expect(decide('new', 0)).toBe('create');
  });

  it('a new direct chat of someone with a candidacy says where it is, never opens another', () => {
    expect(decide('greeting', 1)).toBe('where');
    expect(decide('greeting', 3)).toBe('where');
  });

  it('a start while a candidacy exists asks to choose; only !nouvelle opens another', () => {
    expect(decide('start', 1)).toBe('choose');
    expect(decide('start', 2, 'lobby')).toBe('choose');
    expect(decide('new', 1)).toBe('create');
    expect(decide('continue', 1)).toBe('where');
    expect(decide('continue', 1, 'lobby')).toBe('where');
    expect(decide('continue', 0)).toBe('help');
  });

  it('a direct chat answers every other message with the candidacies, the lobby only commands with help', () => {
    expect(decide('text', 1)).toBe('where');
    expect(decide('command', 1)).toBe('where');
    expect(decide('help', 1)).toBe('where');
    expect(decide('text', 0)).toBe('help');
    expect(decide('help', 0)).toBe('help');
    expect(decide('text', 1, 'lobby')).toBe('silent');
    expect(decide('text', 0, 'lobby')).toBe('silent');
    expect(decide('command', 1, 'lobby')).toBe('help');
    expect(decide('help', 1, 'lobby')).toBe('help');
  });

  it('an event that already created a candidacy does the same again (redelivery)', () => {
    expect(decide('start', 1, 'dm', true)).toBe('create');
    expect(decide('greeting', 2, 'dm', true)).toBe('create');
  });
});

describe('dependsOnCandidacies', () => {
  it('looks a person up for every direct-chat message, and in the lobby only to start or continue', () => {
    for (const request of ['greeting', 'start', 'continue', 'new', 'help', 'command', 'text'] as const)
      expect(dependsOnCandidacies(request, 'dm')).toBe(true);
    expect(dependsOnCandidacies('start', 'lobby')).toBe(true);
    expect(dependsOnCandidacies('continue', 'lobby')).toBe(true);
    expect(dependsOnCandidacies('new', 'lobby')).toBe(true);
    expect(dependsOnCandidacies('help', 'lobby')).toBe(false);
    expect(dependsOnCandidacies('command', 'lobby')).toBe(false);
    expect(dependsOnCandidacies('text', 'lobby')).toBe(false);
  });

  it('whatever the lobby does not look up does not depend on it', () => {
    for (const request of ['help', 'command', 'text'] as const)
      for (const ongoing of [0, 1, 3])
        expect(decideDirect({ request, room: 'lobby', ongoing, createdHere: false })).toEqual(
          decideDirect({ request, room: 'lobby', ongoing: 0, createdHere: false }),
        );
  });
});

describe('placeOf', () => {
  it('invites again whoever is neither in the room nor invited', () => {
    expect(placeOf('join')).toBe('inside');
    expect(placeOf('invite')).toBe('invited');
    expect(placeOf('leave')).toBe('reinvite');
    expect(placeOf(null)).toBe('reinvite');
    expect(placeOf('knock')).toBe('reinvite');
    expect(placeOf('ban')).toBe('banned');
  });
});

describe('room names', () => {
  it('the collectivité once known; before, the lead, numbered from their second candidacy', () => {
    expect(
      roomNameFor({ collectivite: 'Commune de Brive', campaign: 'TNL 2026', lead: 'Camille', ordinal: 2 }),
    ).toEqual({
      key: 'roomNameKnown',
      params: { collectivite: 'Commune de Brive', campaign: 'TNL 2026' },
    });
    expect(roomNameFor({ collectivite: null, campaign: 'TNL 2026', lead: 'Camille', ordinal: 1 })).toEqual({
      key: 'roomNamePerson',
      params: { person: 'Camille', campaign: 'TNL 2026' },
    });
    expect(roomNameFor({ collectivite: null, campaign: 'TNL 2026', lead: 'Camille', ordinal: 2 }).key).toBe(
      'roomNamePersonNth',
    );
  });

  it('counts a lead’s candidacies of the same campaign in creation order', () => {
    const at = (day: number) => new Date(Date.UTC(2026, 8, day));
    const all = [
      { id: 'b', campaignId: 'c26', leadId: '@cam:x', createdAt: at(3) },
      { id: 'a', campaignId: 'c26', leadId: '@cam:x', createdAt: at(1) },
      { id: 'old', campaignId: 'c25', leadId: '@cam:x', createdAt: at(0) },
      { id: 'other', campaignId: 'c26', leadId: '@bob:x', createdAt: at(0) },
    ];
    expect(ordinalOf(all[1] as (typeof all)[number], all)).toBe(1);
    expect(ordinalOf(all[0] as (typeof all)[number], all)).toBe(2);
    expect(ordinalOf(all[3] as (typeof all)[number], all)).toBe(1);
    expect(ordinalOf({ id: 'new', campaignId: 'c26', leadId: '@cam:x', createdAt: at(9) }, all)).toBe(3);
  });
});

describe('a member coming into the room', () => {
  it('is welcomed only on a real join of someone of the candidacy, after the opening', () => {
    const base = { membership: 'join', previous: 'invite', isMember: true, atOpening: false };
    expect(isReturn(base)).toBe(true);
    expect(isReturn({ ...base, previous: undefined })).toBe(true);
    expect(isReturn({ ...base, previous: 'join' })).toBe(false); // a name change
    expect(isReturn({ ...base, membership: 'leave' })).toBe(false);
    expect(isReturn({ ...base, isMember: false })).toBe(false);
    expect(isReturn({ ...base, atOpening: true })).toBe(false);
  });

  it('is told what is saved and asked the current question again', () => {
    const [first, second] = fixture.questions;
    if (!first || !second) throw new Error('fixture too short');
    const view: ConversationView = {
      state: 'filling',
      status: 'draft',
      questionId: second.id,
      answers: { [first.id]: { value: 'Brive', by: '@cam:x', at: '2026-09-01T00:00:00Z' } },
    };
    const replies = returnReplies(fixture, view, 'Camille');
    expect(replies[0]).toEqual({
      kind: 'welcomeBack',
      user: 'Camille',
      answered: 1,
      total: fixture.questions.length,
    });
    expect(replies[1]).toMatchObject({ kind: 'ask', questionId: second.id, number: second.number });
    expect(returnReplies(fixture, { ...view, state: 'paused', questionId: null }, 'Camille')[1]).toEqual({
      kind: 'isPaused',
    });
    expect(returnReplies(fixture, { ...view, state: 'review', questionId: null }, 'Camille')[1]).toEqual({
      kind: 'review',
    });
    expect(returnReplies(fixture, { ...view, state: 'submitted', questionId: null }, 'Camille')).toHaveLength(
      1,
    );
  });
});
