// What each role of the jury can read of the votes on a dossier, in every room it reads,
// stage after stage of the vote: the president (a juror who votes), a juror, a juror who
// abstains last, a recused juror, an organiser who is no juror, a stranger let into the
// jury room by mistake. After each stage everyone asks `!decompte #1` wherever they can,
// then the test reads, on the homeserver, what each person can see in each room. Every
// cell must be what the design says (visibility-design.ts); the observed table is the
// second one of docs/authorization.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../../storage/storage.ts';
import { BotProcess } from '../bot-process.ts';
import { seedOpenCampaign, storageFor, storedRoom } from '../candidate.ts';
import { enterBallotRoom, REVEALS, submitDossier } from '../jury-people.ts';
import { settle } from '../patience.ts';
import { type MatrixEvent, Person } from '../people.ts';
import { endBotRun } from '../teardown.ts';
import {
  designedVisible,
  type Observation,
  PLACES,
  type Place,
  reads,
  renderVisibility,
  STAGES,
  type Stage,
  type Viewer,
  VIEWERS,
  VISIBILITY_START,
} from './visibility-design.ts';

const DOC = join(import.meta.dirname, '..', '..', '..', 'docs', 'authorization.md');

let bot: BotProcess;
let storage: Storage;
const people = {} as Record<Viewer, Person>;
let lea: Person;
let juryRoom = '';
let organisersRoom = '';
const ballots = new Map<Viewer, string>();
let strangerIn = false;

function roomOf(viewer: Viewer, place: Place): string | null {
  if (!reads(viewer, place)) return null;
  if (place === 'jury') return viewer === 'stranger' && !strangerIn ? null : juryRoom;
  if (place === 'organisers') return organisersRoom;
  return ballots.get(viewer) ?? null;
}

/** Types `text` and waits for the bot's first message after it in that room. */
async function ask(person: Person, roomId: string, text: string): Promise<string> {
  const sent = await person.sendText(roomId, text);
  const own = await person.nextMessage(roomId, { timeoutMs: 30_000, predicate: (m) => m.eventId === sent });
  const after = own.event.origin_server_ts ?? 0;
  const reply = await person.nextMessage(roomId, {
    from: bot.userId,
    timeoutMs: 30_000,
    predicate: (m) => (m.event.origin_server_ts ?? 0) >= after,
  });
  return reply.body;
}

async function readable(person: Person, roomId: string): Promise<boolean> {
  const events: MatrixEvent[] = await person.messages(roomId, { limit: 500 });
  return events.some(
    (e) =>
      e.sender === bot.userId && e.type === 'm.room.message' && REVEALS.test(String(e.content.body ?? '')),
  );
}

beforeAll(async () => {
  const names: Record<Viewer, string> = {
    president: 'Anne',
    juror: 'Bruno',
    abstainer: 'Chloé',
    recused: 'Denis',
    organiser: 'Olga',
    stranger: 'Ève',
  };
  const all = await Promise.all(
    [...VIEWERS.map((v) => [`vis-${v}`, names[v]] as const), ['vis-lea', 'Léa'] as const].map(([id, name]) =>
      Person.register(id, { displayName: name }),
    ),
  );
  for (const [i, viewer] of VIEWERS.entries()) people[viewer] = all[i] as Person;
  lea = all[VIEWERS.length] as Person;
  const { president, juror, abstainer, recused, organiser } = people;
  bot = await BotProcess.start({
    config: {
      people: {
        organisers: [organiser.userId],
        jurors: [juror.userId, abstainer.userId, recused.userId],
        juryPresident: president.userId,
      },
    },
  });
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
  juryRoom = await storedRoom(storage, 'room:jury');
  organisersRoom = await storedRoom(storage, 'room:organisers');
  for (const viewer of ['president', 'juror', 'abstainer', 'recused', 'organiser'] as const)
    await people[viewer].acceptInvite({ roomId: juryRoom, timeoutMs: 30_000 });
  await organiser.acceptInvite({ roomId: organisersRoom, timeoutMs: 30_000 });
  for (const viewer of ['president', 'juror', 'abstainer', 'recused'] as const)
    ballots.set(viewer, (await enterBallotRoom(storage, bot, people[viewer])).roomId);

  // One dossier, submitted, then the campaign closed: the dossier is final.
  await submitDossier(lea, bot);
  await organiser.nextMessage(juryRoom, {
    from: bot.userId,
    timeoutMs: 30_000,
    predicate: (m) => m.body.includes('#1') && !m.content['m.relates_to'],
  });
  for (const word of ['!campagne clore', '!confirmer']) await ask(organiser, organisersRoom, word);
  await organiser.nextMessage(juryRoom, {
    from: bot.userId,
    timeoutMs: 60_000,
    predicate: (m) => m.body.includes('le vote est ouvert'),
  });
});

afterAll(() => endBotRun(bot, storage));

const STEPS: Record<Stage, () => Promise<void>> = {
  final: async () => {},
  jurorVoted: async () => void (await ask(people.juror, ballots.get('juror') ?? '', '!voter #1 3')),
  recused: async () => void (await ask(people.recused, ballots.get('recused') ?? '', '!deport #1')),
  presidentVoted: async () =>
    void (await ask(people.president, ballots.get('president') ?? '', '!voter #1 4')),
  strangerIn: async () => {
    await people.organiser.invite(juryRoom, people.stranger.userId);
    await people.stranger.acceptInvite({ roomId: juryRoom, timeoutMs: 30_000 });
    strangerIn = true;
  },
  allCast: async () => void (await ask(people.abstainer, ballots.get('abstainer') ?? '', '!abstention #1')),
  strangerOut: async () => {
    await people.organiser.request('POST', `/rooms/${encodeURIComponent(juryRoom)}/kick`, {
      user_id: people.stranger.userId,
    });
    strangerIn = false;
  },
  decided: async () => void (await ask(people.president, juryRoom, '!decider #1')),
};

describe('what each role sees of the votes', () => {
  it('shows nobody the votes before they are entitled to, stage after stage, in every room', async () => {
    const started = Date.now();
    const observed: Observation[] = [];
    for (const stage of STAGES) {
      await STEPS[stage.id]();
      // Everyone asks for the tally wherever they can type a jury command: in their own
      // ballot rooms all at once, then in the jury room one after the other (the reply to
      // each is the bot's next message there).
      await Promise.all(
        VIEWERS.map(async (viewer) => {
          const roomId = roomOf(viewer, 'ballot');
          if (roomId) await ask(people[viewer], roomId, '!decompte #1');
        }),
      );
      for (const viewer of VIEWERS) {
        const roomId = roomOf(viewer, 'jury');
        if (roomId) await ask(people[viewer], roomId, '!decompte #1');
      }
      await settle(1500);
      for (const viewer of VIEWERS)
        for (const place of PLACES) {
          const roomId = roomOf(viewer, place);
          if (roomId)
            observed.push({
              viewer,
              place,
              stage: stage.id,
              visible: await readable(people[viewer], roomId),
            });
        }
    }
    const seconds = (Date.now() - started) / 1000;

    if (process.env.TNL_WRITE_AUTHORIZATION_DOC === '1') {
      const current = readFileSync(DOC, 'utf8');
      const head = current.includes(VISIBILITY_START)
        ? current.slice(0, current.indexOf(VISIBILITY_START))
        : current;
      const options = (await prettier.resolveConfig(DOC)) ?? {};
      const table = await prettier.format(renderVisibility(observed, seconds), {
        ...options,
        parser: 'markdown',
      });
      writeFileSync(DOC, `${head.trimEnd()}\n\n${table}`);
    }
    const wrong = observed
      .filter((o) => o.visible !== designedVisible(o.viewer, o.place, o.stage))
      .map(
        (o) =>
          `${o.viewer} in the ${o.place} room after "${o.stage}": ${o.visible ? 'sees' : 'does not see'} the votes`,
      );
    expect(wrong).toEqual([]);
    expect(observed.length).toBeGreaterThan(60);
  });
});
