// Jury records written straight through storage, for tests that need a vote or a
// decision to exist without going through the jury's rooms (organisers, exports).
import { applyChange, type JuryChange, type JuryRecord } from '../../flows/jury/record.ts';
import type { Storage } from '../../storage/index.ts';

async function change(
  storage: Storage,
  candidacyId: string,
  what: JuryChange,
  at?: Date,
): Promise<JuryRecord> {
  const candidacy = await storage.candidacies.require(candidacyId);
  const record = await storage.jury.open({
    candidacyId,
    campaignId: candidacy.campaignId,
    roomId: '!jury:test',
  });
  return storage.jury.save(applyChange(record, what, { at: at ?? new Date() }), record.version);
}

export function recordDecision(
  storage: Storage,
  input: {
    candidacyId: string;
    campaignId?: string;
    level: string;
    reason?: string | null;
    mentions?: string[];
    message: string;
    by: string;
    at?: Date;
  },
): Promise<JuryRecord> {
  return change(
    storage,
    input.candidacyId,
    {
      kind: 'decision',
      level: input.level,
      reason: input.reason ?? null,
      mentions: input.mentions ?? [],
      message: input.message,
      by: input.by,
    },
    input.at,
  );
}

/** `level` null: an abstention. */
export function recordVote(
  storage: Storage,
  input: { candidacyId: string; juror: string; level: string | null; at?: Date },
): Promise<JuryRecord> {
  return change(
    storage,
    input.candidacyId,
    { kind: 'ballot', juror: input.juror, level: input.level },
    input.at,
  );
}
