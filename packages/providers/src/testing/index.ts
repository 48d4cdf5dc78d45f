export { SimState } from '../sim/sim-directives.js';
export {
  createMockModelEntry,
  createMockResult,
  MockLanguageModel,
  type MockStep,
} from './mock-language-model.js';
export { type RecordedRequest, sendJson, startWireServer, type WireHandler, type WireServer } from './wire-server.js';
