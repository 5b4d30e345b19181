import type { Clock } from '../../application/ports.ts';
import type { WeiboPause } from '../../application/weibo-ports.ts';

/** The pause of this process only: for a single instance without Redis. */
export class InMemoryWeiboPause implements WeiboPause {
  private until = 0;

  constructor(private readonly clock: Clock) {}

  async secondsLeft(): Promise<number> {
    return Math.max(0, Math.ceil((this.until - this.clock.now().getTime()) / 1000));
  }

  async start(seconds: number): Promise<void> {
    this.until = Math.max(this.until, this.clock.now().getTime() + seconds * 1000);
  }
}
