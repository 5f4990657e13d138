import { describe, expect, it } from 'vitest';
import { parseCommand, splitVersions, tokenize } from '../../../flows/campaign/commands.ts';

const parsed = (body: string) => {
  const result = parseCommand(body);
  if (!result?.ok) throw new Error(`not parsed: ${JSON.stringify(result)}`);
  return result.command;
};

describe('organisers commands', () => {
  it('ignores messages that are not commands', () => {
    expect(parseCommand('bonjour')).toBeNull();
    expect(parseCommand('! pas une commande')).toBeNull();
  });

  it('tokenizes quotes, guillemets and key=value with a date and a time', () => {
    expect(tokenize('a "b c" «d e» k="v w" clôture=2026-10-19 18:00 x').map((t) => [t.key, t.value])).toEqual(
      [
        [undefined, 'a'],
        [undefined, 'b c'],
        [undefined, 'd e'],
        ['k', 'v w'],
        ['cloture', '2026-10-19 18:00'],
        [undefined, 'x'],
      ],
    );
  });

  it('creates a campaign in French and in English', () => {
    expect(
      parsed(
        '!campagne créer 2026 "Label TNL 2026" questionnaire=tnl-2026 ouverture=19/09/2026 clôture=2026-10-19 18:00 jury=2026-11-30 niveaux=badge,bronze,argent,or relances=7j,2j',
      ),
    ).toEqual({
      kind: 'campaignCreate',
      fields: {
        year: '2026',
        name: 'Label TNL 2026',
        questionnaire: 'tnl-2026',
        opens: '19/09/2026',
        closes: '2026-10-19 18:00',
        jury: '2026-11-30',
        levels: 'badge,bronze,argent,or',
        reminders: '7j,2j',
      },
    });
    expect(
      parsed(
        '!campaign create year=2027 name="TNL 2027" questionnaire=q opens=2027-09-01 closes=2027-10-01 timezone=UTC',
      ),
    ).toMatchObject({ kind: 'campaignCreate', fields: { year: '2027', name: 'TNL 2027', timeZone: 'UTC' } });
  });

  it('says which field is missing or unknown', () => {
    expect(parseCommand('!campagne créer 2026 questionnaire=q ouverture=2026-09-01')).toEqual({
      ok: false,
      problem: { code: 'missingArgument', command: 'campagne créer', argument: 'closes' },
    });
    expect(parseCommand('!campagne créer 2026 couleur=bleu')).toMatchObject({
      ok: false,
      problem: { code: 'unknownOption', option: 'couleur' },
    });
    expect(parseCommand('!campagne repeindre')).toMatchObject({
      ok: false,
      problem: { code: 'unknownSubcommand' },
    });
    expect(parseCommand('!voter 3')).toEqual({
      ok: false,
      problem: { code: 'unknownCommand', command: 'voter' },
    });
  });

  it('opens, extends, closes, shows a campaign, optionally named', () => {
    expect(parsed('!campagne ouvrir')).toEqual({ kind: 'campaignOpen' });
    expect(parsed('!campaign open tnl-2027')).toEqual({ kind: 'campaignOpen', campaignId: 'tnl-2027' });
    expect(parsed('!campagne prolonger 2026-10-26 18:00')).toEqual({
      kind: 'campaignExtend',
      date: '2026-10-26 18:00',
    });
    expect(parsed('!campaign extend tnl-2026 26/10/2026')).toEqual({
      kind: 'campaignExtend',
      campaignId: 'tnl-2026',
      date: '26/10/2026',
    });
    expect(parseCommand('!campagne prolonger')).toMatchObject({
      ok: false,
      problem: { code: 'missingArgument' },
    });
    expect(parsed('!campagne clore')).toEqual({ kind: 'campaignClose' });
    expect(parsed('!campagne')).toEqual({ kind: 'campaignShow' });
    expect(parsed('!campaign list')).toEqual({ kind: 'campaignList' });
  });

  it('status, export, publish, confirm, cancel, help', () => {
    expect(parsed('!statut')).toEqual({ kind: 'status' });
    expect(parsed('!status tnl-2025')).toEqual({ kind: 'status', campaignId: 'tnl-2025' });
    expect(parsed('!exporter csv')).toEqual({ kind: 'export', format: 'csv' });
    expect(parsed('!export résultats tnl-2025')).toEqual({
      kind: 'export',
      format: 'results',
      campaignId: 'tnl-2025',
    });
    expect(parsed('!export results campaign=tnl-2025')).toEqual({
      kind: 'export',
      format: 'results',
      campaignId: 'tnl-2025',
    });
    expect(parseCommand('!exporter pdf')).toEqual({
      ok: false,
      problem: { code: 'unknownFormat', format: 'pdf' },
    });
    expect(parsed('!publier')).toEqual({ kind: 'publish' });
    expect(parsed('!publish now')).toEqual({ kind: 'publish' });
    expect(parsed('!publier 2026-12-03 18:00')).toEqual({ kind: 'publish', at: '2026-12-03 18:00' });
    expect(parsed('!Confirmer')).toEqual({ kind: 'confirm' });
    expect(parsed('!cancel')).toEqual({ kind: 'cancel' });
    expect(parsed('!aide')).toEqual({ kind: 'help', all: false });
    expect(parsed('!aide tout')).toEqual({ kind: 'help', all: true });
    expect(parsed('!help ALL')).toEqual({ kind: 'help', all: true });
    expect(parsed('!exporter ods')).toEqual({ kind: 'export', format: 'ods' });
    expect(parsed('!export tableur tnl-2026')).toEqual({
      kind: 'export',
      format: 'ods',
      campaignId: 'tnl-2026',
    });
    expect(parsed('!réessayer abc')).toEqual({ kind: 'retry', broadcastId: 'abc' });
    expect(parsed('!langue EN')).toEqual({ kind: 'language', language: 'en' });
    expect(parseCommand('!language')).toMatchObject({ ok: false, problem: { code: 'missingArgument' } });
  });

  it('reminders default to drafts and take a list or an inactivity filter', () => {
    expect(parsed('!relancer')).toEqual({
      kind: 'remind',
      audience: { candidacies: 'drafts', public: false },
    });
    expect(parsed('!remind list=a1,b2')).toEqual({
      kind: 'remind',
      audience: { candidacies: { refs: ['a1', 'b2'] }, public: false },
    });
    expect(parsed('!relancer brouillons inactifs=10j')).toEqual({
      kind: 'remind',
      audience: { candidacies: 'drafts', public: false, inactiveForMs: 10 * 86_400_000 },
    });
    expect(parseCommand('!relancer public')).toMatchObject({
      ok: false,
      problem: { code: 'unexpectedArgument' },
    });
  });

  it('announcements: audience, then the text with optional language versions', () => {
    expect(parsed('!annonce brouillons public\nfr: Plus que deux jours !\nen: Two days left!')).toEqual({
      kind: 'announce',
      audience: { candidacies: 'drafts', public: true },
      texts: { fr: 'Plus que deux jours !', en: 'Two days left!' },
    });
    expect(parsed('!announce Bonjour à toutes et à tous')).toEqual({
      kind: 'announce',
      audience: { candidacies: 'all', public: false },
      texts: { '*': 'Bonjour à toutes et à tous' },
    });
    expect(parsed('!annonce public\n[fr]\nLigne 1\nLigne 2\n[en]\nLine 1')).toMatchObject({
      audience: { candidacies: 'none', public: true },
      texts: { fr: 'Ligne 1\nLigne 2', en: 'Line 1' },
    });
    expect(parsed('!annonce liste=c1;c2 déposées\nTexte')).toMatchObject({
      audience: { candidacies: 'submitted' },
      texts: { '*': 'Texte' },
    });
    expect(parseCommand('!annonce tous')).toEqual({ ok: false, problem: { code: 'missingText' } });
  });

  it('splits versions only on known language markers', () => {
    expect(splitVersions('Intro\nfr: Bonjour\nde: Hallo', ['fr', 'en'])).toEqual({
      '*': 'Intro',
      fr: 'Bonjour\nde: Hallo',
    });
  });
});
