import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, COMMANDS, commandName, parseInput } from '../../../flows/commands.ts';

describe('command parser', () => {
  it('every command has a French and an English name, both understood', () => {
    for (const name of COMMANDS) {
      for (const lang of ['fr', 'en'] as const) {
        const typed = `!${COMMAND_NAMES[name][lang]}${name === 'edit' ? ' 3' : ''}`;
        expect(parseInput(typed), typed).toMatchObject({ kind: 'command', name });
      }
    }
  });

  it('French and English names do not clash', () => {
    const all = COMMANDS.flatMap((n) => [COMMAND_NAMES[n].fr, COMMAND_NAMES[n].en].map((w) => `${w}:${n}`));
    const byWord = new Map<string, string>();
    for (const entry of all) {
      const [word, name] = entry.split(':') as [string, string];
      expect(byWord.get(word) ?? name, word).toBe(name);
      byWord.set(word, name);
    }
  });

  it('ignores case, accents and spaces after the !', () => {
    expect(parseInput('!AIDE')).toEqual({ kind: 'command', name: 'help' });
    expect(parseInput('! retour')).toEqual({ kind: 'command', name: 'back' });
    expect(parseInput('!récapitulatif')).toEqual({ kind: 'command', name: 'summary' });
    expect(parseInput('!Précédent')).toEqual({ kind: 'command', name: 'back' });
    expect(parseInput('  !fini  ')).toEqual({ kind: 'command', name: 'done' });
  });

  it('"!resume" is resume; "!résumé" with accents is the French summary', () => {
    expect(parseInput('!resume')).toEqual({ kind: 'command', name: 'resume' });
    expect(parseInput('!reprendre')).toEqual({ kind: 'command', name: 'resume' });
    expect(parseInput('!résumé')).toEqual({ kind: 'command', name: 'summary' });
  });

  it('arguments', () => {
    expect(parseInput('!modifier 12')).toEqual({ kind: 'command', name: 'edit', arg: '12' });
    expect(parseInput('!edit Q12')).toEqual({ kind: 'command', name: 'edit', arg: 'Q12' });
    expect(parseInput('!edit uses_linux')).toEqual({ kind: 'command', name: 'edit', arg: 'uses_linux' });
    expect(parseInput('!langue en')).toEqual({ kind: 'command', name: 'language', arg: 'en' });
    expect(parseInput('!aide 4')).toEqual({ kind: 'command', name: 'help', arg: '4' });
    expect(parseInput('!effacer 7')).toEqual({ kind: 'command', name: 'clear', arg: '7' });
    expect(parseInput('!effacer')).toEqual({ kind: 'command', name: 'clear' });
    expect(parseInput('!passer merci')).toEqual({ kind: 'command', name: 'skip' });
  });

  it('a required argument missing', () => {
    expect(parseInput('!modifier')).toEqual({ kind: 'missingArgument', name: 'edit' });
  });

  it('unknown commands', () => {
    expect(parseInput('!supprimer-tout')).toEqual({ kind: 'unknownCommand', word: 'supprimer-tout' });
  });

  it('anything not starting with ! is an answer, kept as typed', () => {
    for (const text of ['oui', 'aide', 'Super ! Merci', ' 12 ', 'https://x.fr/!edit'])
      expect(parseInput(text)).toEqual({ kind: 'answer', text });
  });

  it('names shown per language, English for other languages', () => {
    expect(commandName('summary', 'fr')).toBe('recap');
    expect(commandName('summary', 'en')).toBe('summary');
    expect(commandName('summary', 'de')).toBe('summary');
  });
});
