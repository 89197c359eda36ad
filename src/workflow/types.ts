// A workflow and a run of one. They are part of the store (src/store/types.ts, where every stored
// shape is declared); this module names them for the workflow code.
export type {
  WorkflowTaskSpec,
  WorkflowSpec,
  RunTaskState,
  RunState,
  RunTaskRecord,
  RunRecord,
} from '../store/types.js';
