import type { HandlerContext, Handlers } from './types';
import { ApiFailure } from './types';
import { getSettings, listRecents, updateSettings } from '../../store/settings';
import { LANTERN_VERSION } from '../../app/version';

/** Handlers for the app area of the contract: app.info, settings, recents, the native open dialog. */
export function createAppHandlers(ctx: HandlerContext): Handlers {
  return {
    'app.info': async () => ({
      name: 'Lantern',
      version: LANTERN_VERSION,
      mode: ctx.mode,
      platform: process.platform,
      ...(ctx.demoWhenNoCluster ? { demoWhenNoCluster: true } : {}),
    }),
    'settings.get': async () => getSettings(ctx.userDataDir),
    'settings.update': async (req) => updateSettings(ctx.userDataDir, req),
    'recent.list': async () => listRecents(ctx.userDataDir),
    'dialog.openCapture': async () => {
      if (!ctx.showOpenDialog) {
        throw new ApiFailure(
          'unsupported',
          'There is no file dialog in browser mode: choose the file in the page (or drop it) instead.',
        );
      }
      return { path: await ctx.showOpenDialog() };
    },
  };
}
