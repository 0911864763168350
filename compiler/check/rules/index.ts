import type { Rule } from "../rule.js";
import { crossStitchOnInput } from "./cross-stitch-on-input.js";
import { duplicateColumn } from "./duplicate-column.js";
import { duplicateName } from "./duplicate-name.js";
import { reservedName } from "./reserved-name.js";
import { modelTooLarge } from "./model-too-large.js";
import { embeddingOptimizerKind } from "./embedding-optimizer-kind.js";
import { emptyLevel } from "./empty-level.js";
import { emptyPositive } from "./empty-positive.js";
import { gateConstantRange } from "./gate-constant-range.js";
import { hyperparameterRange } from "./hyperparameter-range.js";
import { labelUsedAsField } from "./label-used-as-field.js";
import { sampleWeightColumn } from "./sample-weight-column.js";
import { largeLearningRate } from "./large-learning-rate.js";
import { missingGroups } from "./missing-groups.js";
import { monitorMetric } from "./monitor-metric.js";
import { multiclassClasses } from "./multiclass-classes.js";
import { negativeLabels } from "./negative-labels.js";
import { noFields } from "./no-fields.js";
import { noSources } from "./no-sources.js";
import { noTasks } from "./no-tasks.js";
import { nonPositiveSize } from "./non-positive-size.js";
import { optionNotApplicable } from "./option-not-applicable.js";
import { singleTaskSharing } from "./single-task-sharing.js";
import { taskWithoutTower } from "./task-without-tower.js";
import { unknownName } from "./unknown-name.js";
import { unreadOutput } from "./unread-output.js";
import { unusedGroup } from "./unused-group.js";
import { unusedRegularizer } from "./unused-regularizer.js";
import { widthMismatch } from "./width-mismatch.js";
import { zeroTaskWeight } from "./zero-task-weight.js";

/**
 * Every check rule, in the order they run (and are listed in specs/language.md): names, then
 * declarations, then values, then the wiring; errors before the warnings about legal but odd specs.
 */
export const rules: readonly Rule[] = [
  // names and declarations
  duplicateName,
  reservedName,
  modelTooLarge,
  unknownName,
  noFields,
  noTasks,
  labelUsedAsField,
  sampleWeightColumn,
  missingGroups,
  // values
  nonPositiveSize,
  multiclassClasses,
  emptyPositive,
  negativeLabels,
  hyperparameterRange,
  gateConstantRange,
  optionNotApplicable,
  embeddingOptimizerKind,
  monitorMetric,
  // wiring
  taskWithoutTower,
  emptyLevel,
  noSources,
  widthMismatch,
  // legal but odd (warnings)
  unreadOutput,
  unusedGroup,
  unusedRegularizer,
  singleTaskSharing,
  crossStitchOnInput,
  largeLearningRate,
  zeroTaskWeight,
  duplicateColumn,
];
