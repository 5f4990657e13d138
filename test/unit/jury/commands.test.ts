import { describe, expect, it } from 'vitest';
import { parseJuryCommand } from '../../../flows/jury/commands.ts';
import { DEFAULT_SCALE, levelLabel, makeScale, parseLevel } from '../../../flows/jury/scale.ts';

const named = makeScale([
  { fr: 'Badge', en: 'Badge' },
  { fr: 'Bronze', en: 'Bronze' },
  { fr: 'Argent', en: 'Silver' },
  { fr: 'Or', en: 'Gold' },
]);

describe('level scale', () => {
  it('reads positions, ids and labels in any language', () => {
    expect(parseLevel(DEFAULT_SCALE, '3')).toBe(2);
    expect(parseLevel(DEFAULT_SCALE, 'Niveau 5')).toBe(4);
    expect(parseLevel(DEFAULT_SCALE, '6')).toBeNull();
    expect(parseLevel(named, 'silver')).toBe(2);
    expect(parseLevel(named, 'ARGENT')).toBe(2);
    expect(parseLevel(named, 'or')).toBe(3);
    expect(parseLevel(named, '1')).toBe(0);
    expect(parseLevel(named, 'platine')).toBeNull();
    expect(named.levels.map((l) => l.id)).toEqual(['badge', 'bronze', 'argent', 'or']);
    expect(levelLabel(named, 2, 'en')).toBe('Silver');
    expect(levelLabel(DEFAULT_SCALE, 0, 'fr')).toBe('niveau 1');
  });

  it('refuses a scale of one level or with duplicate ids', () => {
    expect(() => makeScale(['Or'])).toThrow();
    expect(() => makeScale(['Or', 'or'])).toThrow();
  });
});

describe('jury commands', () => {
  const parse = (text: string, scale = DEFAULT_SCALE) => parseJuryCommand(text, scale);

  it('ignores discussion', () => {
    expect(parse('I think this is a level 3')).toBeNull();
  });

  it('parses votes in French and English, with or without a dossier number', () => {
    expect(parse('!vote 3')).toEqual({ ok: true, command: { name: 'vote', dossier: null, level: 2 } });
    expect(parse('!Voter #12 4')).toEqual({ ok: true, command: { name: 'vote', dossier: 12, level: 3 } });
    expect(parse('!vote 12 4')).toEqual({ ok: true, command: { name: 'vote', dossier: 12, level: 3 } });
    expect(parse('!voter argent', named)).toEqual({
      ok: true,
      command: { name: 'vote', dossier: null, level: 2 },
    });
    expect(parse('!vote 7 gold', named)).toEqual({
      ok: true,
      command: { name: 'vote', dossier: 7, level: 3 },
    });
    expect(parse('!vote')).toEqual({ ok: false, error: 'levelMissing', command: 'vote' });
    expect(parse('!vote 9')).toEqual({ ok: false, error: 'unknownLevel', command: 'vote', input: '9' });
  });

  it('knows every alias', () => {
    const names = (texts: string[]) =>
      texts.map((t) => (parse(t) as { command: { name: string } }).command.name);
    expect(names(['!abstain', '!abstention', '!recuse', '!déport', '!conflit'])).toEqual([
      'abstain',
      'abstain',
      'recuse',
      'recuse',
      'recuse',
    ]);
    expect(names(['!tally', '!décompte', '!remind', '!relancer', '!aide', '!help', '!notes'])).toEqual([
      'tally',
      'tally',
      'remind',
      'remind',
      'help',
      'help',
      'notes',
    ]);
    expect(names(['!ask Why?', '!question Pourquoi ?', '!mention Coup de cœur', '!note ok'])).toEqual([
      'question',
      'question',
      'mention',
      'note',
    ]);
  });

  it('keeps the text of notes, questions and mentions', () => {
    expect(parse('!question #3 Combien de postes\nsous Linux ?')).toEqual({
      ok: true,
      command: { name: 'question', dossier: 3, text: 'Combien de postes\nsous Linux ?' },
    });
    expect(parse('!note')).toEqual({ ok: false, error: 'textMissing', command: 'note' });
    expect(parse('!frobnicate')).toEqual({ ok: false, error: 'unknownCommand', command: 'frobnicate' });
  });

  it('parses a decision with labelled lines', () => {
    const text =
      '!décider 4\nmotif: very strong pooling\nmentions: Coup de cœur, Sobriété\nmessage: Bravo !\nÀ bientôt.';
    expect(parse(text)).toEqual({
      ok: true,
      command: {
        name: 'decide',
        dossier: null,
        draft: {
          level: 3,
          reason: 'very strong pooling',
          mentions: ['Coup de cœur', 'Sobriété'],
          message: 'Bravo !\nÀ bientôt.',
        },
      },
    });
  });

  it('takes the proposed level when none or "proposed" is given, and inline labels', () => {
    expect(parse('!decide')).toEqual({
      ok: true,
      command: {
        name: 'decide',
        dossier: null,
        draft: { level: null, reason: null, mentions: null, message: null },
      },
    });
    expect(parse('!decide #2 proposé message: Félicitations')).toEqual({
      ok: true,
      command: {
        name: 'decide',
        dossier: 2,
        draft: { level: null, reason: null, mentions: null, message: 'Félicitations' },
      },
    });
    expect(parse('!correct 2 reason: typo')).toEqual({
      ok: true,
      command: {
        name: 'correct',
        dossier: null,
        draft: { level: 1, reason: 'typo', mentions: null, message: null },
      },
    });
    expect(parse('!corriger\nmentions: aucune\nraison: retirée')).toEqual({
      ok: true,
      command: {
        name: 'correct',
        dossier: null,
        draft: { level: null, reason: 'retirée', mentions: [], message: null },
      },
    });
    expect(parse('!decide platinum')).toEqual({
      ok: false,
      error: 'unknownLevel',
      command: 'decide',
      input: 'platinum',
    });
  });
});
