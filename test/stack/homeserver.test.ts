// Smoke test of the local homeserver: two fresh people meet in a room and talk.
import { afterAll, describe, expect, it } from 'vitest';
import { Person, stopAllPeople, WaitTimeoutError } from '../e2e/people.ts';

afterAll(() => stopAllPeople());

describe('local Synapse', () => {
  it('serves the client-server API on loopback', async () => {
    const url = process.env.TNL_HOMESERVER_URL ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const versions = (await (await fetch(`${url}/_matrix/client/versions`)).json()) as { versions: string[] };
    expect(versions.versions).toContain('v1.1');
  });

  it('lets two registered users create a room, invite, join and exchange messages', async () => {
    const alice = await Person.register('alice');
    const bob = await Person.register('bob');
    expect(alice.userId).toMatch(/^@alice-[a-z0-9-]+:localhost$/);
    expect(bob.userId).not.toBe(alice.userId);

    const roomId = await alice.createRoom({ name: 'Smoke test', preset: 'private_chat' });
    await alice.invite(roomId, bob.userId);
    expect(await bob.waitForInvite({ from: alice.userId })).toBe(roomId);
    expect(await bob.join(roomId)).toBe(roomId);

    const sent = await alice.sendHtml(roomId, 'Bonjour Bob', '<b>Bonjour</b> Bob');
    const received = await bob.nextMessage(roomId, { from: alice.userId });
    expect(received).toMatchObject({
      eventId: sent,
      sender: alice.userId,
      body: 'Bonjour Bob',
      formattedBody: '<b>Bonjour</b> Bob',
      msgtype: 'm.text',
    });

    const reply = await bob.sendText(roomId, 'Salut Alice');
    const answer = await alice.nextMessage(roomId, { from: bob.userId });
    expect(answer.eventId).toBe(reply);
    expect(answer.body).toBe('Salut Alice');

    const history = await bob.messages(roomId);
    expect(history.filter((e) => e.type === 'm.room.message').map((e) => e.content.body)).toEqual([
      'Bonjour Bob',
      'Salut Alice',
    ]);
  });

  it('relays reactions, edits and redactions', async () => {
    const alice = await Person.register('alice');
    const bob = await Person.register('bob');
    const roomId = await alice.createRoom({ invite: [bob.userId] });
    await bob.join(roomId);
    const original = await alice.sendText(roomId, 'first version');
    await bob.nextMessage(roomId, { from: alice.userId });

    const reaction = await bob.sendReaction(roomId, original, '👍');
    const seen = await alice.nextEvent(roomId, { type: 'm.reaction', from: bob.userId });
    expect(seen.event_id).toBe(reaction);
    expect(seen.content['m.relates_to']).toEqual({ rel_type: 'm.annotation', event_id: original, key: '👍' });

    await alice.edit(roomId, original, 'second version');
    const edit = await bob.nextMessage(roomId, { from: alice.userId });
    expect(edit.content['m.new_content']).toEqual({ msgtype: 'm.text', body: 'second version' });

    const redaction = await alice.redact(roomId, original, 'oops');
    const redacted = await bob.nextEvent(roomId, { type: 'm.room.redaction' });
    expect(redacted.event_id).toBe(redaction);
    expect(redacted.redacts ?? redacted.content.redacts).toBe(original);
  });

  it('explains a wait that times out with what arrived instead', async () => {
    const alice = await Person.register('alice');
    const roomId = await alice.createRoom({});
    await alice.sendText(roomId, 'only me here');
    await alice.nextMessage(roomId, { from: alice.userId });

    const error = await alice
      .nextMessage(roomId, { from: '@nobody:localhost', timeoutMs: 300 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error.message).toContain(`m.room.message in ${roomId} from @nobody:localhost`);
    expect(error.message).toContain('"only me here" (already returned)');
  });
});
