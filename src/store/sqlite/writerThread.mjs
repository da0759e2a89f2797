// Entry of the SQLite writer thread (src/store/sqlite/writer.ts): a worker thread does not inherit the
// TypeScript loader of the thread that starts it, so it registers its own.
import { register } from 'tsx/esm/api';

register();
await import('./writer.ts');
