/** Builds the renderer if it is stale, so `npx playwright test` works on its own too. */
import { ensureBuilt } from '../main/app/build';
import { ROOT } from './fixtures';

export default async function globalSetup(): Promise<void> {
  const built = await ensureBuilt(ROOT, { electron: false });
  if (built.length) console.log(`e2e: built ${built.join(', ')}`);
}
