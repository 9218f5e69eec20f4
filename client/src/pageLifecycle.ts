// Browser page events the provider reacts to; nothing happens outside a browser.

export interface PageHooks {
  /** The network is back or the tab became visible. */
  wake(): void;
  /** The page is being left or frozen into the back-forward cache. */
  hide(): void;
  /** The page is shown again; `restored` when it comes back from the back-forward cache. */
  show(restored: boolean): void;
}

/** Subscribes to online, visibilitychange, pagehide and pageshow; returns the unsubscribe function. */
export function watchPage(hooks: PageHooks): () => void {
  if (typeof window === "undefined" || typeof window.addEventListener !== "function") return () => {};
  const page = window;
  const doc = typeof document !== "undefined" ? document : null;
  const online = () => hooks.wake();
  const visibility = () => {
    if (doc?.visibilityState === "visible") hooks.wake();
  };
  const hide = () => hooks.hide();
  const show = (event: Event) => hooks.show((event as PageTransitionEvent).persisted === true);
  page.addEventListener("online", online);
  page.addEventListener("pagehide", hide);
  page.addEventListener("pageshow", show);
  doc?.addEventListener("visibilitychange", visibility);
  return () => {
    page.removeEventListener("online", online);
    page.removeEventListener("pagehide", hide);
    page.removeEventListener("pageshow", show);
    doc?.removeEventListener("visibilitychange", visibility);
  };
}
