// A Y.Doc fed by a benchmark client, with a way to wait until its text is a given string.
import * as Y from "yjs";
import { TEXT } from "./trace.ts";

export class Mirror {
  readonly doc = new Y.Doc();
  readonly text = this.doc.getText(TEXT);
  private waiter: { expected: string; resolve: () => void } | null = null;
  /** Called after every applied update (progress tracking). */
  onApplied: (() => void) | null = null;

  /** A mirror that starts from `state` (one update), as a client that synced earlier. */
  constructor(state?: Uint8Array) {
    if (state) Y.applyUpdate(this.doc, state);
  }

  readonly apply = (update: Uint8Array) => {
    Y.applyUpdate(this.doc, update);
    this.onApplied?.();
    const waiter = this.waiter;
    if (waiter && this.text.length === waiter.expected.length && this.text.toString() === waiter.expected) {
      this.waiter = null;
      waiter.resolve();
    }
  };

  /** Resolves once the text equals `expected`; rejects after `timeoutMs` with how far it got. */
  until(expected: string, timeoutMs: number, what: string): Promise<void> {
    if (this.text.toString() === expected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new TimeoutError(`${what}: text not reached within ${timeoutMs} ms (${this.text.length} of ${expected.length} chars)`));
      }, timeoutMs);
      this.waiter = { expected, resolve: () => (clearTimeout(timer), resolve()) };
    });
  }
}

/** A wait that ran out: recorded as a result, unlike other errors. */
export class TimeoutError extends Error {}
