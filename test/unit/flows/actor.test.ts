// The same machine run as an XState actor: replies and effects arrive as emitted events,
// the persisted snapshot restores a new actor, and it agrees with the pure facade.
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { MachineEvent } from '../../../flows/candidacy-machine.ts';
import { machineFor } from '../../../flows/conversation.ts';
import type { Effect, ReplyIntent } from '../../../flows/intents.ts';
import { BEFORE, campaign, Driver, fixture, LEA, MAX } from './fixture.ts';

const at = BEFORE.toISOString();
const answer = (text: string, sender = LEA): MachineEvent => ({ type: 'answer', text, sender, at });

function listen(actor: ReturnType<typeof createActor<ReturnType<typeof machineFor>>>) {
  const replies: ReplyIntent[] = [];
  const effects: Effect[] = [];
  actor.on('reply', (e) => replies.push(e.intent));
  actor.on('effect', (e) => effects.push(e.effect));
  return { replies, effects };
}

describe('the machine as an actor', () => {
  const machine = machineFor(fixture, campaign);

  it('emits replies and effects, and moves through the states', () => {
    const actor = createActor(machine, { input: { startedBy: LEA, at } });
    const { replies, effects } = listen(actor);
    actor.start();
    expect(replies.map((r) => r.kind)).toEqual(['welcome', 'ask']);
    actor.send(answer('Ville'));
    actor.send(answer('2', MAX));
    actor.send(answer('oui'));
    expect(actor.getSnapshot().value).toBe('filling');
    expect(actor.getSnapshot().context.cursor).toBe('linux_share');
    expect(effects.map((e) => (e.type === 'answerSet' ? [e.questionId, e.value, e.by] : e.type))).toEqual([
      ['name', 'Ville', LEA],
      ['kind', 'epci', MAX],
      ['uses_linux', true, LEA],
    ]);
    actor.send({ type: 'pause', sender: LEA, at });
    expect(actor.getSnapshot().value).toBe('paused');
    actor.stop();
  });

  it('restores from a persisted snapshot in the middle of a list and carries on', () => {
    const first = createActor(machine, { input: { startedBy: LEA, at } });
    first.start();
    for (const text of ['Ville', '1', 'oui', '30', 'Debian']) first.send(answer(text));
    const stored = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as unknown;
    first.stop();

    const second = createActor(machine, { snapshot: stored as never, input: { startedBy: LEA, at } });
    const { replies, effects } = listen(second);
    second.start();
    expect(second.getSnapshot().context.drafts).toEqual({ distros: ['Debian'] });
    second.send(answer('Ubuntu'));
    second.send({ type: 'done', sender: LEA, at });
    expect(effects[0]).toMatchObject({
      type: 'answerSet',
      questionId: 'distros',
      value: ['Debian', 'Ubuntu'],
    });
    expect(replies.map((r) => r.kind)).toEqual(['listItemsAdded', 'ask']);
    second.stop();
  });

  it('agrees with the pure facade step by step', () => {
    const texts = [
      'Ville',
      '3',
      'Syndicat',
      'non',
      '!passer',
      '1',
      'www.ville.fr',
      'a@b.fr',
      '!passer',
      'Rien.',
    ];
    const d = new Driver();
    const actor = createActor(machine, { input: { startedBy: LEA, at } });
    const { replies } = listen(actor);
    actor.start();
    for (const text of texts) {
      replies.length = 0;
      const viaFacade = d.say(text);
      actor.send(text === '!passer' ? { type: 'skip', sender: LEA, at } : answer(text));
      expect(replies).toEqual(viaFacade.replies);
      expect(JSON.parse(JSON.stringify(actor.getPersistedSnapshot()))).toEqual(d.snapshot.state);
    }
    expect(actor.getSnapshot().value).toBe('review');
    actor.stop();
  });
});
