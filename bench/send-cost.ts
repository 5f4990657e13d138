// What one message costs the homeserver, by content: Synapse's own CPU and database time per
// `PUT /send`, from its request log, for the echo's reply and for one of the bot's questions,
// each with and without `m.mentions`. Explains the difference between the bot's and the echo's
// cost per message in the throughput benchmark: the bot sets `m.mentions` on every message
// (empty unless someone must be pinged, so that nobody is pinged by accident); the echo does
// not.
//
// One sender per variant, each in a room of its own with the same syncing person; the sends
// go round-robin, one at a time, so that every variant sees the same homeserver.
//
// Usage: node bench/send-cost.ts [--sends 150]
import { parseArgs } from 'node:util';
import { Person } from '../test/e2e/people.ts';
import { ECHO_REPLY } from './echo-participant.ts';
import { createAccounts, matrixCall } from './lib/matrix.ts';
import { runBench } from './lib/run.ts';
import { loadStackEnv } from './lib/stack.ts';
import { logOffset, requestCosts } from './lib/synapse-log.ts';
import { emitFigures, num, sleep, table } from './lib/stats.ts';

const { values } = parseArgs({ options: { sends: { type: 'string', default: '150' } } });
const sends = Number(values.sends);
const COMMAND = `npm run bench:send-cost -- --sends ${sends}`;

/** One of the bot's questions as it renders it (population, 2026 questionnaire). */
const QUESTION = {
  body: "Q5/59 · Combien d'habitants compte votre territoire ?\n\nRépondez par un nombre entier entre 0 et 70 000 000 habitants.\n\nExemple : 12 500",
  html: "<p><strong>Q5/59 · Combien d'habitants compte votre territoire ?</strong></p><p>Répondez par un nombre entier entre 0 et 70 000 000 habitants.</p><p><em>Exemple : 12 500</em></p>",
};

const notice = (text: { body: string; html: string }, mentions: boolean) => ({
  msgtype: 'm.notice',
  body: text.body,
  format: 'org.matrix.custom.html',
  formatted_body: text.html,
  ...(mentions ? { 'm.mentions': {} } : {}),
});

const VARIANTS: Array<{ name: string; content: Record<string, unknown> }> = [
  { name: "echo's reply", content: notice(ECHO_REPLY, false) },
  { name: "echo's reply + m.mentions {}", content: notice(ECHO_REPLY, true) },
  { name: "bot's question", content: notice(QUESTION, false) },
  { name: "bot's question + m.mentions {} (as sent)", content: notice(QUESTION, true) },
];

await runBench('send-cost', 300_000, async (resources) => {
  loadStackEnv();
  const [receiver, ...senders] = await createAccounts('sendcost', VARIANTS.length + 1);
  if (!receiver) throw new Error('no account');
  const person = new Person(receiver);
  await person.start();
  resources.add(async () => person.stop());
  const rooms: string[] = [];
  for (const sender of senders) {
    const created = await matrixCall(sender.accessToken, 'POST', '/_matrix/client/v3/createRoom', {
      preset: 'private_chat',
      invite: [receiver.userId],
    });
    const roomId = String(created.room_id);
    await person.acceptInvite({ roomId });
    rooms.push(roomId);
  }
  const offset = logOffset();
  const run = Date.now().toString(36);
  for (let n = 0; n < sends; n++) {
    for (const [i, sender] of senders.entries()) {
      const path = `/_matrix/client/v3/rooms/${encodeURIComponent(rooms[i] ?? '')}/send/m.room.message/${run}.${n}`;
      await matrixCall(sender.accessToken, 'PUT', path, VARIANTS[i]?.content);
    }
  }
  await sleep(1500); // the last requests' log lines
  const variantOf = new Map(senders.map((s, i) => [s.userId, VARIANTS[i]?.name ?? '?']));
  const costs = requestCosts(offset, (userId) => variantOf.get(userId)).filter((c) =>
    c.request.includes('/send/'),
  );
  const cpuOf = (name: string) => {
    const c = costs.find((x) => x.who === name);
    return c ? (c.cpuSeconds / c.count) * 1000 : NaN;
  };
  console.log(`\nSynapse's cost per message sent, ${sends} sends per variant, round-robin`);
  console.log(
    table(
      ['content', 'sends', 'cpu per send', 'db per send'],
      VARIANTS.map(({ name }) => {
        const c = costs.find((x) => x.who === name);
        return c
          ? [name, String(c.count), `${num(cpuOf(name))} ms`, `${num((c.dbSeconds / c.count) * 1000)} ms`]
          : [name, '0', '-', '-'];
      }),
    ),
  );
  const withMentions = cpuOf("bot's question + m.mentions {} (as sent)");
  const without = cpuOf("bot's question");
  emitFigures([
    {
      metric: "Synapse CPU per send: bot's question without / with m.mentions {}",
      value: `${num(without)} ms / ${num(withMentions)} ms`,
      target: '-',
      command: COMMAND,
    },
  ]);
});
