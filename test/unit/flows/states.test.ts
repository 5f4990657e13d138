// Every command, in every state of the conversation: it never throws, never stays silent,
// leaves a snapshot that restores, and changes nothing when it is refused.
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, COMMANDS } from '../../../flows/commands.ts';
import { STATES } from '../../../flows/candidacy-machine.ts';
import { AFTER, Driver, LEA } from './fixture.ts';

/** Sends messages that must all be accepted, and returns the driver. */
const w = (d: Driver, ...texts: string[]): Driver => {
  d.answer(...texts);
  return d;
};
const toReview = () =>
  w(new Driver(), 'Ville', '1', 'non', '!passer', '1', '!passer', 'a@b.fr', '!passer', '!passer');

const SETUPS: Record<string, () => Driver> = {
  renewalOffer: () => new Driver({ lastYear: { name: 'Ville', uses_linux: true } }),
  'filling (text question)': () => w(new Driver(), 'Ville'),
  'filling (list with entries)': () => {
    const d = new Driver();
    d.answer('Ville', '1', 'oui', '10', 'Debian');
    return d;
  },
  'filling (last year offered)': () => {
    const d = new Driver({ lastYear: { name: 'Ville', kind: 'epci' } });
    d.answer('oui');
    return d;
  },
  'filling (editing)': () => {
    const d = new Driver();
    d.answer('Ville', '1', '!modifier 1');
    return d;
  },
  review: () => toReview(),
  'confirming (submit)': () => w(toReview(), '!soumettre'),
  'confirming (withdraw)': () => w(new Driver(), '!retirer'),
  'confirming (clear)': () => w(toReview(), '!effacer 1'),
  submitted: () => w(toReview(), '!soumettre', '!oui'),
  paused: () => w(new Driver(), '!pause'),
  closed: () => {
    const d = new Driver();
    d.say('x', LEA, AFTER);
    return d;
  },
  underReview: () => {
    const d = toReview();
    d.answer('!soumettre', '!oui');
    d.send({ type: 'close', at: AFTER });
    return d;
  },
  decided: () => {
    const d = toReview();
    d.answer('!soumettre', '!oui');
    d.send({ type: 'close', at: AFTER });
    d.send({ type: 'decide', level: 'Or', at: AFTER });
    return d;
  },
  withdrawn: () => w(new Driver(), '!retirer', '!oui'),
};

const ARGS: Partial<Record<(typeof COMMANDS)[number], string>> = {
  edit: ' 1',
  language: ' en',
  help: '',
  clear: '',
};
const INPUTS = [
  ...COMMANDS.flatMap((name) => [
    `!${COMMAND_NAMES[name].fr}${ARGS[name] ?? ''}`,
    `!${COMMAND_NAMES[name].en}${ARGS[name] ?? ''}`,
  ]),
  '!effacer 1',
  '!aide 2',
  'bonjour',
  'oui',
  '',
];

describe('every command in every state', () => {
  it('covers every resting state', () => {
    const reached = new Set(Object.values(SETUPS).map((setup) => setup().state));
    const resting = STATES.filter((s) => !['starting', 'routing', 'closing'].includes(s));
    expect([...reached].sort()).toEqual([...resting].sort());
  });

  for (const [name, setup] of Object.entries(SETUPS)) {
    it(name, () => {
      const base = setup();
      for (const input of INPUTS) {
        const d = new Driver({ snapshot: base.snapshot });
        const before = JSON.stringify(d.snapshot);
        const r = d.say(input);
        expect(r.replies.length, `${name} <- "${input}" gets a reply`).toBeGreaterThan(0);
        expect(
          r.replies.map((x) => x.kind),
          `${name} <- "${input}"`,
        ).not.toContain('unknownCommand');
        if (!r.accepted) expect(JSON.stringify(r.snapshot), `${name} <- "${input}" unchanged`).toBe(before);
        // What comes out can be stored and restored.
        expect(new Driver({ snapshot: r.snapshot }).state).toBe(r.view.state);
      }
    });
  }

  it('frozen states refuse every change and still answer read-only commands', () => {
    for (const state of ['closed', 'underReview', 'decided', 'withdrawn']) {
      const base = SETUPS[state]?.();
      if (!base) throw new Error(state);
      for (const input of [
        'Ville',
        '!modifier 1',
        '!soumettre',
        '!retour',
        '!passer',
        '!effacer 1',
        '!pause',
      ]) {
        const r = new Driver({ snapshot: base.snapshot }).say(input, LEA, AFTER);
        expect(r.accepted, `${state} <- ${input}`).toBe(false);
        expect(r.effects).toEqual([]);
        expect(['closed', 'frozen']).toContain(r.replies[0]?.kind);
      }
      for (const [input, kind] of [
        ['!recap', 'summary'],
        ['!progression', 'progress'],
        ['!aide', 'help'],
      ] as const) {
        expect(new Driver({ snapshot: base.snapshot }).say(input, LEA, AFTER).replies[0]?.kind).toBe(kind);
      }
    }
  });
});
