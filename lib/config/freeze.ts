// Deep freeze: configs handed to the engine cannot be mutated by any consumer.

/** Freeze an object graph in place and return it typed as deeply readonly. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
