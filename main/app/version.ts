/** Kept in step with package.json's version (checked by main/app/version.test.ts). */
export const LANTERN_VERSION = '0.1.0';
