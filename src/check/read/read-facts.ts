// One query failing (a permission, a catalog an old server lacks) must cost
// only the rules that need its answer, as when each check ran its own queries.

export type Readers<T> = { [K in keyof T]: () => Promise<T[K]> };

/**
 * Runs each reader in turn (in the order written: later readers may rely on
 * time having passed) and returns `base` with their results added. A reader
 * that fails leaves a property that throws its error when read; the rule that
 * reads it is then reported as "could not be checked" (see judge.ts).
 */
export async function readFacts<B extends object, T extends object>(base: B, readers: Readers<T>): Promise<B & T> {
  const facts = { ...base } as B & T;
  for (const key of Object.keys(readers) as (keyof T & string)[]) {
    try {
      const value = await readers[key]();
      Object.defineProperty(facts, key, { value, enumerable: true });
    } catch (e) {
      Object.defineProperty(facts, key, {
        enumerable: true,
        get() {
          throw e;
        },
      });
    }
  }
  return facts;
}
