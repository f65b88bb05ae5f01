export { remember, recall } from './long-term.js';
export type { MemoryScope, RecalledMemory } from './long-term.js';
