import { PERSON_COMPARISONS, type Comparison } from './compare.js';
import { MODEL_VERSION, type PersonModel } from './model.js';

export const modelToJson = (model: PersonModel): string => JSON.stringify(model);

/**
 * Read a model saved by `modelToJson`. Refuses another version, or fields and
 * levels that differ from the comparisons this code computes, since the
 * weights would then be applied to the wrong levels.
 */
export function modelFromJson(text: string, comparisons: readonly Comparison[] = PERSON_COMPARISONS): PersonModel {
  const model = JSON.parse(text) as PersonModel;
  if (model.version !== MODEL_VERSION) throw new Error(`person model version ${String(model.version)} is not ${MODEL_VERSION}`);
  if (!Array.isArray(model.fields) || model.fields.length !== comparisons.length) throw new Error('person model fields do not match the comparisons');
  model.fields.forEach((field, f) => {
    const comparison = comparisons[f] as Comparison;
    const same = field.field === comparison.field && field.levels.join('\u0000') === comparison.levels.join('\u0000');
    if (!same || field.m.length !== field.levels.length || field.u.length !== field.levels.length) {
      throw new Error(`person model field ${f} (${String(field.field)}) does not match comparison ${comparison.field}`);
    }
  });
  return model;
}
