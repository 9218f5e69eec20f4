// Small tools for the Node-side fault tests: a gate that holds callers back, and polling.

/** Callers of `passed()` wait while the gate is closed and go on once it opens. */
export class Gate {
  private opened: Promise<void> = Promise.resolve();
  private release: (() => void) | null = null;

  close(): void {
    if (this.release) return;
    this.opened = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.release = null;
  }

  passed(): Promise<void> {
    return this.opened;
  }
}

/** Polls `condition` every 20 ms until it holds, failing after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
