/**
 * Which IPC messages the Electron main process accepts: only those from the main frame of our
 * own window, showing our own page (not an iframe, not a page it navigated to, not another
 * window). Kept free of the electron module (structural types) so it is unit-tested here.
 */
export interface FrameLike {
  processId: number;
  routingId: number;
  url: string;
}
export interface SenderEventLike {
  sender: unknown;
  senderFrame: FrameLike | null | undefined;
}
export interface WindowLike {
  isDestroyed(): boolean;
  webContents: { mainFrame: FrameLike };
}

/** True when `url`, without its query and fragment, is exactly `pageUrl`. */
export function isPage(url: string, pageUrl: string): boolean {
  try {
    const u = new URL(url);
    u.hash = '';
    u.search = '';
    return u.href === pageUrl;
  } catch {
    return false;
  }
}

export function isTrustedSender(event: SenderEventLike, win: WindowLike | null, pageUrl: string): boolean {
  const frame = event.senderFrame;
  if (!win || win.isDestroyed() || !frame) return false;
  const wc = win.webContents;
  if (event.sender !== wc) return false;
  const main = wc.mainFrame;
  if (frame.processId !== main.processId || frame.routingId !== main.routingId) return false;
  return isPage(frame.url, pageUrl);
}
