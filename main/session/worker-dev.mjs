// Development entry for the engine worker: loads worker.ts through tsx (a devDependency). A bundled
// app points LANTERN_ENGINE_WORKER at its built worker instead, and never loads this file.
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker.ts', import.meta.url);
