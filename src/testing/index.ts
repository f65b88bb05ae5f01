// cadre/testing: helpers for users' own tests. The scripted model plugs into the real gateway.
export { createScriptedModel } from './scripted-model.js';
export type { ScriptedModel, ScriptedModelOptions, ScriptedTurn } from './scripted-model.js';
