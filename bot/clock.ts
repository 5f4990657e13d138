// Time, injectable. Production uses the system clock; tests start the bot with
// TNL_TEST_CLOCK=1 and move time through the health server (POST /test/clock with an
// ISO date or "+<ms>"), so no test ever waits for real time to pass.

export interface Clock {
  now(): Date;
  /** Called whenever the time jumps (test clock only), so schedulers re-check at once. */
  onJump(listener: () => void): void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  onJump: () => {},
};

export class ManualClock implements Clock {
  private offsetMs = 0;
  private fixed: number | undefined;
  private readonly listeners: Array<() => void> = [];

  now(): Date {
    return new Date(this.fixed ?? Date.now() + this.offsetMs);
  }

  /** Sets the time ("2026-10-20T08:00:00Z"), or moves it forward ("+3600000"). Keeps ticking. */
  set(value: string): Date {
    if (value.startsWith('+')) this.offsetMs += Number(value.slice(1));
    else {
      const target = Date.parse(value);
      if (Number.isNaN(target)) throw new Error(`not a date: ${value}`);
      this.offsetMs = target - Date.now();
    }
    this.fixed = undefined;
    for (const listener of this.listeners) listener();
    return this.now();
  }

  onJump(listener: () => void): void {
    this.listeners.push(listener);
  }
}
