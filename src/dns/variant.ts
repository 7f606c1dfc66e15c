// The reply cache's key beside the name (cache.ts): everything else that shapes a reply, packed in one
// number. Each part has its own block of bits, so two questions that could get different replies never
// share a key: 1 bit of class, 16 of type, 1 of EDNS, 17 of size limit, 1 of view, 1 of recursion,
// 10 of the asker's place (places.ts): 47 bits, exact in a double.

import { CLASS } from './constants.ts';

/** Distinct asker places the key has room for (the unknown one included). */
export const PLACE_VARIANTS = 1024;

export interface VariantParts {
  /** IN or ANY: the only classes answered inside a zone. */
  readonly class: number;
  readonly type: number;
  readonly edns: boolean;
  /** The most bytes the reply may have: under 131,072. */
  readonly limit: number;
  /** Answered from the host's local view (split horizon), not the registry's. */
  readonly local: boolean;
  readonly recursionAvailable: boolean;
  /** The asker's place's index: 0 when unknown, under PLACE_VARIANTS. */
  readonly place: number;
}

export function replyVariant(parts: VariantParts): number {
  const flag = (value: boolean) => (value ? 1 : 0);
  const head = (parts.class === CLASS.ANY ? 1 : 0) * 65536 + parts.type;
  const shape = ((head * 2 + flag(parts.edns)) * 131072 + parts.limit) * 2 + flag(parts.local);
  return (shape * 2 + flag(parts.recursionAvailable)) * PLACE_VARIANTS + parts.place;
}
