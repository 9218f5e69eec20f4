// The heartbeat: pings only after silence, declares death only when a ping goes unanswered.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Heartbeat } from "../../client/src/heartbeat";

describe("heartbeat", () => {
  let pings: number;
  let deaths: number;
  let heartbeat: Heartbeat;

  beforeEach(() => {
    vi.useFakeTimers();
    pings = 0;
    deaths = 0;
    heartbeat = new Heartbeat({ intervalMs: 1000, timeoutMs: 500 }, () => pings++, () => deaths++);
    heartbeat.start();
  });
  afterEach(() => {
    heartbeat.stop();
    vi.useRealTimers();
  });

  test("a busy connection is never pinged", () => {
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(400);
      heartbeat.received();
    }
    expect(pings).toBe(0);
    expect(deaths).toBe(0);
  });

  test("a quiet connection is pinged, and an answered ping keeps it alive", () => {
    vi.advanceTimersByTime(1000);
    expect(pings).toBe(1);
    vi.advanceTimersByTime(100);
    heartbeat.received(); // "pong"
    vi.advanceTimersByTime(900);
    expect(pings).toBe(1);
    vi.advanceTimersByTime(250);
    expect(pings).toBe(2);
    expect(deaths).toBe(0);
  });

  test("an unanswered ping declares the connection dead after the timeout", () => {
    vi.advanceTimersByTime(1000);
    expect(pings).toBe(1);
    vi.advanceTimersByTime(250);
    expect(deaths).toBe(0);
    vi.advanceTimersByTime(250);
    expect(deaths).toBe(1);
  });

  test("a throttled timer that fires late sends a ping instead of declaring death", () => {
    heartbeat.stop();
    heartbeat.start();
    // The timer did not run for a minute (background tab); the first late tick only pings.
    vi.setSystemTime(Date.now() + 60_000);
    heartbeat.tick();
    expect(pings).toBe(1);
    expect(deaths).toBe(0);
  });

  test("probe pings at once, but not twice while an answer is outstanding", () => {
    heartbeat.probe();
    heartbeat.probe();
    expect(pings).toBe(1);
    heartbeat.received();
    heartbeat.probe();
    expect(pings).toBe(2);
  });

  test("a stopped heartbeat does nothing", () => {
    heartbeat.stop();
    vi.advanceTimersByTime(10_000);
    heartbeat.probe();
    expect(pings).toBe(0);
    expect(deaths).toBe(0);
  });
});
