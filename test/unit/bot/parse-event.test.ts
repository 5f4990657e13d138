import { describe, expect, it } from 'vitest';
import { parseRoomEvent, stripReplyFallback } from '../../../bot/candidacy/parse-event.ts';
import type { RawEvent } from '../../../bot/types.ts';

function event(type: string, content: Record<string, unknown>, extra: Partial<RawEvent> = {}): RawEvent {
  return { event_id: '$e', type, sender: '@a:x', origin_server_ts: 1, content, ...extra };
}

describe('parseRoomEvent', () => {
  it('reads a text answer', () => {
    expect(parseRoomEvent(event('m.room.message', { msgtype: 'm.text', body: 'Villeneuve' }), 100)).toEqual({
      kind: 'text',
      text: 'Villeneuve',
    });
  });

  it('drops the quoted fallback of a reply', () => {
    const body = '> <@bot:x> Q3/10 Population?\n> Answer a number\n\n12000';
    const parsed = parseRoomEvent(
      event('m.room.message', {
        msgtype: 'm.text',
        body,
        'm.relates_to': { 'm.in_reply_to': { event_id: '$q' } },
      }),
      100,
    );
    expect(parsed).toEqual({ kind: 'text', text: '12000' });
    expect(stripReplyFallback('no quote')).toBe('no quote');
  });

  it('reads an edit from m.new_content', () => {
    const parsed = parseRoomEvent(
      event('m.room.message', {
        msgtype: 'm.text',
        body: '* 13000',
        'm.new_content': { msgtype: 'm.text', body: '13000' },
        'm.relates_to': { rel_type: 'm.replace', event_id: '$old' },
      }),
      100,
    );
    expect(parsed).toEqual({ kind: 'edit', originalEventId: '$old', text: '13000' });
  });

  it('refuses messages over the size limit, and files', () => {
    expect(
      parseRoomEvent(event('m.room.message', { msgtype: 'm.text', body: 'x'.repeat(101) }), 100),
    ).toEqual({
      kind: 'tooLong',
      size: 101,
    });
    expect(parseRoomEvent(event('m.room.message', { msgtype: 'm.image', body: 'cat.png' }), 100)).toEqual({
      kind: 'notText',
      msgtype: 'm.image',
    });
  });

  it('reads reactions, redactions and poll responses', () => {
    expect(
      parseRoomEvent(
        event('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$q', key: '✅' } }),
        100,
      ),
    ).toEqual({ kind: 'reaction', targetEventId: '$q', key: '✅' });
    expect(parseRoomEvent(event('m.room.redaction', {}, { redacts: '$ans' }), 100)).toEqual({
      kind: 'redaction',
      redactedEventId: '$ans',
    });
    expect(
      parseRoomEvent(
        event('org.matrix.msc3381.poll.response', {
          'm.relates_to': { rel_type: 'm.reference', event_id: '$poll' },
          'org.matrix.msc3381.poll.response': { answers: ['choice_b'] },
        }),
        100,
      ),
    ).toEqual({ kind: 'pollResponse', pollEventId: '$poll', answerIds: ['choice_b'] });
  });

  it('ignores malformed relations and unknown types without throwing', () => {
    expect(parseRoomEvent(event('m.reaction', { 'm.relates_to': 'nonsense' }), 100).kind).toBe('ignore');
    expect(
      parseRoomEvent(
        event('m.room.message', { msgtype: 'm.text', 'm.relates_to': { rel_type: 'm.replace' } }),
        100,
      ).kind,
    ).toBe('ignore');
    expect(parseRoomEvent(event('com.example.custom', {}), 100).kind).toBe('ignore');
    expect(parseRoomEvent(event('m.room.message', {}), 100)).toEqual({ kind: 'notText', msgtype: 'unknown' });
  });
});
