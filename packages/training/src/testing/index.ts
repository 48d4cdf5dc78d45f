export { SYNTHETIC_POOL, syntheticRecords } from './synthetic-records.js';
