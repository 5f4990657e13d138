// Whether the homeserver is struggling, judged from how long the bot's own sends take.
//
// The bot's extras (quick-reply reactions, polls, typing notices, read receipts) each cost
// the homeserver a request and every client in the room a sync wake-up. When sends slow
// down to seconds, the homeserver is saturated and those extras delay everybody's real
// messages; the bot then pauses them until sends are quick again. The question text always
// lists the typed answers, so nothing stops working while they are paused.

export interface PressureSettings {
  /** Pause extras when the smoothed send time goes above this (0 never pauses). */
  slowAboveMs: number;
  /** Resume them when it comes back under this (below `slowAboveMs`: no flapping). */
  recoveredBelowMs: number;
}

/** Weight of the newest send in the moving average (about the last 8 sends count). */
const SMOOTHING = 0.25;

export class HomeserverPressure {
  private readonly settings: PressureSettings;
  private readonly onChange: (slow: boolean, averageMs: number) => void;
  /** Starts at 0: one slow send at start-up (a cold cache, a busy moment) is not saturation. */
  private average = 0;
  private slow = false;

  constructor(settings: PressureSettings, onChange: (slow: boolean, averageMs: number) => void = () => {}) {
    this.settings = settings;
    this.onChange = onChange;
  }

  /** Records how long one send took, from the first attempt to the homeserver's answer. */
  record(durationMs: number): void {
    this.average += SMOOTHING * (durationMs - this.average);
    if (this.settings.slowAboveMs <= 0) return;
    const slow = this.slow
      ? this.average >= this.settings.recoveredBelowMs
      : this.average > this.settings.slowAboveMs;
    if (slow !== this.slow) {
      this.slow = slow;
      this.onChange(slow, this.average);
    }
  }

  /** True while extras are paused. */
  get isSlow(): boolean {
    return this.slow;
  }

  /** The smoothed send time. */
  get averageMs(): number {
    return this.average;
  }
}
