// A count that scenarios wait on: resolves when it reaches a goal, or reports a shortfall at a deadline.

export class Tally {
  count = 0;
  private goal = Infinity;
  private reached: (() => void) | null = null;

  add(n = 1): void {
    this.count += n;
    if (this.count >= this.goal && this.reached) {
      const reached = this.reached;
      this.reached = null;
      reached();
    }
  }

  /** Resolves true once the count reaches `goal`, false if `timeoutMs` passes first. */
  reach(goal: number, timeoutMs: number): Promise<boolean> {
    if (this.count >= goal) return Promise.resolve(true);
    this.goal = goal;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.reached = null;
        resolve(false);
      }, timeoutMs);
      this.reached = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
