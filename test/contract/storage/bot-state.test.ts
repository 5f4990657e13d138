import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../storage/index.ts';
import { backends, type Harness } from './backends.ts';

describe.each(backends)('bot state ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keeps the sync token', async () => {
    expect(await h.storage.botState.getSyncToken()).toBeNull();
    await h.storage.botState.setSyncToken('s72594_4483_1934');
    await h.storage.botState.setSyncToken('s72595_4483_1935');
    expect(await h.storage.botState.getSyncToken()).toBe('s72595_4483_1935');
  });

  it('keeps JSON values by key', async () => {
    await h.storage.botState.setValue('filter', { room: { timeline: { limit: 50 } } });
    expect(await h.storage.botState.getValue('filter')).toEqual({ room: { timeline: { limit: 50 } } });
    await h.storage.botState.deleteValue('filter');
    expect(await h.storage.botState.getValue('filter')).toBeNull();
    await expect(h.storage.botState.setValue('bad', { 'a.b': 1 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('reads many values at once, only those that exist', async () => {
    const keys = Array.from({ length: 1100 }, (_, i) => `many:${i}`);
    await h.storage.botState.setValue('many:3', ['$a']);
    await h.storage.botState.setValue('many:900', { n: 1 });
    await h.storage.botState.setValue('other', 'not asked for');
    const values = await h.storage.botState.getValues([...keys, 'many:3']);
    expect([...values.entries()].sort()).toEqual([
      ['many:3', ['$a']],
      ['many:900', { n: 1 }],
    ]);
    expect((await h.storage.botState.getValues([])).size).toBe(0);
  });

  it('registers rooms by kind and keeps their creation date', async () => {
    const first = await h.storage.botState.registerRoom('!c1:localhost', {
      kind: 'candidacy',
      candidacyId: 'c1',
    });
    await h.storage.botState.registerRoom('!jury:localhost', { kind: 'jury' });
    await h.storage.botState.registerRoom('!ballot:localhost', { kind: 'jury', userId: '@juror:localhost' });
    await h.storage.botState.registerRoom('!dm:localhost', { kind: 'dm', userId: '@lea:localhost' });
    const moved = await h.storage.botState.registerRoom('!c1:localhost', {
      kind: 'candidacy',
      candidacyId: 'c2',
    });
    expect(moved.createdAt).toEqual(first.createdAt);
    expect(moved.candidacyId).toBe('c2');
    expect(await h.storage.botState.getRoom('!dm:localhost')).toMatchObject({
      kind: 'dm',
      userId: '@lea:localhost',
      candidacyId: null,
    });
    expect((await h.storage.botState.listRooms('jury')).map((r) => r.roomId).sort()).toEqual([
      '!ballot:localhost',
      '!jury:localhost',
    ]);
    await h.storage.botState.forgetRoom('!dm:localhost');
    expect(await h.storage.botState.getRoom('!dm:localhost')).toBeNull();
    expect(await h.storage.botState.listRooms()).toHaveLength(3);
  });

  it('finds the direct chat a person opened most recently', async () => {
    expect(await h.storage.botState.directChatOf('@nina:localhost')).toBeNull();
    await h.storage.botState.registerRoom('!nina-2:localhost', { kind: 'dm', userId: '@nina:localhost' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await h.storage.botState.registerRoom('!nina-1:localhost', { kind: 'dm', userId: '@nina:localhost' });
    await h.storage.botState.registerRoom('!other:localhost', { kind: 'dm', userId: '@other:localhost' });
    await h.storage.botState.registerRoom('!ballot-nina:localhost', {
      kind: 'jury',
      userId: '@nina:localhost',
    });
    expect((await h.storage.botState.directChatOf('@nina:localhost'))?.roomId).toBe('!nina-1:localhost');
  });

  it('remembers each person’s language', async () => {
    expect(await h.storage.botState.getLanguage('@lea:localhost')).toBeNull();
    await h.storage.botState.setLanguage('@lea:localhost', 'en');
    await h.storage.botState.setLanguage('@lea:localhost', 'fr');
    await h.storage.botState.setLanguage('@marc:localhost', 'en');
    expect(await h.storage.botState.getLanguage('@lea:localhost')).toBe('fr');
    expect(await h.storage.botState.getLanguage('@marc:localhost')).toBe('en');
  });
});
