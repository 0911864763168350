import { type Manifest } from "../compiler/index.js";
import type { Preprocessing } from "./data/dataset.js";

// What a training run produces and what evaluation, prediction and export consume: the compiled
// artifact's manifest, the trained weights, the embedding tables and the preprocessing fitted on
// the training data. The trainer writes it into checkpoints; export reads it.

/** One field's embedding table: `rows` x `dim`, row-major; row 0 is the missing/unknown id. */
export interface EmbeddingTable {
  rows: number;
  dim: number;
  data: Float32Array;
}

/** A trained (or freshly initialised) model, all in memory. */
export interface TrainedModel {
  manifest: Manifest;
  /** Dense and gate params by name, shaped as in `manifest.params`. */
  params: Map<string, Float32Array>;
  /** The embedding table of each categorical or multi_hot field, by field name. */
  tables: Map<string, EmbeddingTable>;
  preprocessing: Preprocessing;
}
