// Overlays: later files win. Maps merge key by key, everything else (scalars, lists) is replaced,
// and `null` removes a key, so an overlay can take something out as well as change it.

export type Yaml = null | boolean | number | string | Yaml[] | { [key: string]: Yaml };

const isMap = (value: unknown): value is Record<string, Yaml> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function deepMerge(base: Yaml | undefined, overlay: Yaml | undefined): Yaml | undefined {
  if (overlay === undefined) return base;
  if (!isMap(base) || !isMap(overlay)) return overlay;
  const merged: Record<string, Yaml> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) delete merged[key];
    else merged[key] = deepMerge(merged[key], value) as Yaml;
  }
  return merged;
}
