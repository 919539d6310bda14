import { describe, expect, it } from 'vitest';
import { isTrustedSender, type FrameLike } from './senderCheck';

const page = 'file:///opt/lantern/dist/renderer/index.html';
const mainFrame: FrameLike = { processId: 7, routingId: 1, url: `${page}#/` };
const wc = { mainFrame };
const win = { isDestroyed: () => false, webContents: wc };

describe('IPC sender check', () => {
  it('accepts the main frame of our window on our page (query/fragment ignored)', () => {
    expect(isTrustedSender({ sender: wc, senderFrame: mainFrame }, win, page)).toBe(true);
    expect(isTrustedSender({ sender: wc, senderFrame: { ...mainFrame, url: `${page}?x=1` } }, win, page)).toBe(true);
  });

  it('refuses subframes, other windows, other pages, missing frames and closed windows', () => {
    const cases = [
      { sender: wc, senderFrame: { ...mainFrame, routingId: 2 } },
      { sender: wc, senderFrame: { ...mainFrame, processId: 8 } },
      { sender: { mainFrame }, senderFrame: mainFrame },
      { sender: wc, senderFrame: { ...mainFrame, url: 'https://evil.example/' } },
      { sender: wc, senderFrame: { ...mainFrame, url: 'file:///tmp/other.html' } },
      { sender: wc, senderFrame: { ...mainFrame, url: 'not a url' } },
      { sender: wc, senderFrame: null },
    ];
    for (const c of cases) expect(isTrustedSender(c, win, page), JSON.stringify(c.senderFrame)).toBe(false);
    expect(isTrustedSender({ sender: wc, senderFrame: mainFrame }, null, page)).toBe(false);
    expect(isTrustedSender({ sender: wc, senderFrame: mainFrame }, { ...win, isDestroyed: () => true }, page)).toBe(
      false,
    );
  });
});
