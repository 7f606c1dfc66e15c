// One attack of `npm run bench:hostile`: what it replays, the figure measured on main before the fix
// (fixed text, from the review that found it), the target, and what this run measured.

export interface Outcome {
  /** What this run measured, in words and units: "0.4 ms for 255 characters". */
  figure: string;
  /** Whether the figure meets the target; a miss is printed as a miss, never hidden. */
  met: boolean;
}

export interface Attack {
  /** Short and unique: `npm run bench:hostile -- NAME` runs only this one. */
  name: string;
  /** The attack, in one sentence. */
  replays: string;
  /** The figure before the fix, as the review measured it. */
  before: string;
  /** The target, in words. */
  target: string;
  run(): Promise<Outcome>;
}
