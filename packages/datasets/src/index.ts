export {
  type Dataset,
  DatasetError,
  loadDataset,
  readModels,
  readRecords,
  resolveDatasetFile,
} from './load-dataset.js';
export { sharedDatasetsDirectory } from './paths.js';
export {
  type AnswerType,
  answerTypeSchema,
  type BenchRecord,
  benchRecordSchema,
  type DatasetModel,
  datasetModelSchema,
  type RecordedResponse,
  type RecordedVerdict,
  recordedResponseSchema,
  recordedVerdictSchema,
} from './record.js';
