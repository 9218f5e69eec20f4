// Ack bookkeeping: which local changes are saved, across connections, denials and failures.
import { describe, expect, test } from "vitest";
import { SaveTracker } from "../../client/src/saveTracker";

/** Resolves to "saved", "rejected" or "pending" once pending microtasks have run. */
async function settled(promise: Promise<void>): Promise<string> {
  let result = "pending";
  promise.then(
    () => (result = "saved"),
    () => (result = "rejected"),
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  return result;
}

function connected(): SaveTracker {
  const tracker = new SaveTracker();
  tracker.connectionOpened();
  tracker.coverAll();
  return tracker;
}

describe("save tracker", () => {
  test("starts saved; a change is unsaved until the ack of a request sent after it", () => {
    const tracker = connected();
    expect(tracker.hasUnsavedChanges).toBe(false);
    expect(tracker.state(true)).toBe("saved");
    tracker.change();
    expect(tracker.state(true)).toBe("saving");
    const seq = tracker.nextRequest()!;
    expect(tracker.hasUnsavedChanges).toBe(true);
    tracker.acked(seq);
    expect(tracker.hasUnsavedChanges).toBe(false);
    expect(tracker.state(true)).toBe("saved");
  });

  test("an ack covers only the changes made before its request", () => {
    const tracker = connected();
    tracker.change();
    const first = tracker.nextRequest()!;
    tracker.change();
    tracker.acked(first);
    expect(tracker.hasUnsavedChanges).toBe(true);
    const second = tracker.nextRequest()!;
    expect(second).toBeGreaterThan(first);
    tracker.acked(second);
    expect(tracker.hasUnsavedChanges).toBe(false);
  });

  test("no request is needed when nothing changed since the last one", () => {
    const tracker = connected();
    expect(tracker.nextRequest()).toBeNull();
    tracker.change();
    expect(tracker.nextRequest()).not.toBeNull();
    expect(tracker.nextRequest()).toBeNull();
  });

  test("before the sync step 2 reply went out, no request is made: the connection does not carry older changes", () => {
    const tracker = new SaveTracker();
    tracker.change(); // made offline
    tracker.connectionOpened();
    tracker.change(); // sent on the new connection, but the offline one is not on it yet
    expect(tracker.nextRequest()).toBeNull();
    tracker.coverAll();
    const seq = tracker.nextRequest()!;
    tracker.acked(seq);
    expect(tracker.hasUnsavedChanges).toBe(false);
  });

  test("a lost connection leaves its unacknowledged changes unsaved, and an ack from it later is ignored", () => {
    const tracker = connected();
    tracker.change();
    const stale = tracker.nextRequest()!;
    tracker.connectionLost();
    expect(tracker.state(false)).toBe("unsaved");
    tracker.connectionOpened();
    tracker.acked(stale); // same number, new connection: never requested here
    expect(tracker.hasUnsavedChanges).toBe(true);
    tracker.coverAll();
    tracker.acked(tracker.nextRequest()!);
    expect(tracker.hasUnsavedChanges).toBe(false);
  });

  test("acks may skip numbers: the latest acknowledges everything before it", () => {
    const tracker = connected();
    tracker.change();
    tracker.nextRequest();
    tracker.change();
    const last = tracker.nextRequest()!;
    tracker.acked(last);
    expect(tracker.hasUnsavedChanges).toBe(false);
  });

  test("after a permission denial, acks save nothing on that connection", () => {
    const tracker = connected();
    tracker.change();
    const seq = tracker.nextRequest()!;
    tracker.deny();
    tracker.acked(seq);
    expect(tracker.hasUnsavedChanges).toBe(true);
    expect(tracker.state(true)).toBe("unsaved");
    expect(tracker.nextRequest()).toBeNull();
  });

  test("whenSaved waits for the changes made before the call, not for later ones", async () => {
    const tracker = connected();
    tracker.change();
    const saved = tracker.whenSaved();
    const seq = tracker.nextRequest()!;
    tracker.change();
    expect(await settled(saved)).toBe("pending");
    tracker.acked(seq);
    expect(await settled(saved)).toBe("saved");
    expect(tracker.hasUnsavedChanges).toBe(true);
  });

  test("whenSaved resolves at once with nothing to save, and rejects when saving has become impossible", async () => {
    const tracker = connected();
    expect(await settled(tracker.whenSaved())).toBe("saved");
    tracker.change();
    const saved = tracker.whenSaved();
    tracker.fail(new Error("closed for good"));
    expect(await settled(saved)).toBe("rejected");
  });

  test("after a failure, whenSaved rejects at once while changes are unsaved, until reopen makes it wait again", async () => {
    const tracker = connected();
    tracker.change();
    const failure = new Error("closed for good");
    tracker.fail(failure);
    await expect(tracker.whenSaved()).rejects.toBe(failure);
    tracker.reopen();
    const saved = tracker.whenSaved();
    expect(await settled(saved)).toBe("pending");
    tracker.connectionOpened();
    tracker.coverAll();
    tracker.acked(tracker.nextRequest()!);
    expect(await settled(saved)).toBe("saved");
  });

  test("after a failure, whenSaved still resolves when nothing is unsaved", async () => {
    const tracker = connected();
    tracker.fail(new Error("closed for good"));
    expect(await settled(tracker.whenSaved())).toBe("saved");
  });
});
