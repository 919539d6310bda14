/** Contract types re-exported for renderer code (type-only: nothing of main/ is bundled). */
export type * from '../../../main/common/contract';
