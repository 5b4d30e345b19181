import type { RatePlace } from './ports.ts';

/** An attempt refused for a full window: nothing to give back. */
export function refusedPlace(wait: number): RatePlace {
  return { wait, giveBack: async () => {} };
}

/** A place taken; `uncount` runs on the first give-back only. */
export function takenPlace(uncount: () => Promise<unknown>): RatePlace {
  let given = false;
  return {
    wait: 0,
    giveBack: async () => {
      if (given) return;
      given = true;
      await uncount();
    },
  };
}
