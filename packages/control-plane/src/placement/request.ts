/**
 * An instance intent as placement reads it: its target, and the config keys placement
 * honours (see ../../design.md, "Placement").
 */
import { resourceAsk, resourceAskOrNone } from './limits';
import type { PlacementRequest, Strategy } from './placement';

/** Instance config key: instances with the same value are spread over distinct members. */
export const KEY_PLACEMENT_GROUP = 'placement.group';
/** Instance config key: `spread` (default) or `pack`; read when it is placed. */
export const KEY_PLACEMENT_STRATEGY = 'placement.strategy';

const TRUE = new Set(['true', '1', 'yes', 'on']);

export interface PlaceableIntent {
  name: string;
  config: Readonly<Record<string, string>>;
  target?: string | undefined;
}

/**
 * The placement request of an intent. `strict`: a bad limits value throws (LimitError) —
 * the API's check; otherwise (a record already in the store) it asks nothing.
 */
export function placementRequest(i: PlaceableIntent, strict = false): PlacementRequest {
  const c = i.config;
  const strategy: Strategy = c[KEY_PLACEMENT_STRATEGY] === 'pack' ? 'pack' : 'spread';
  return {
    instance: i.name,
    target: i.target || undefined,
    stateful: TRUE.has((c['migration.stateful'] ?? '').toLowerCase()),
    strategy,
    ask: strict ? resourceAsk(c) : resourceAskOrNone(c),
    placementGroup: c[KEY_PLACEMENT_GROUP] || undefined,
  };
}

/** Refuses a bad placement.strategy / placement.group value (the API's check); returns the key at fault. */
export function checkPlacementKeys(config: Readonly<Record<string, string>>): { key: string; message: string } | undefined {
  const s = config[KEY_PLACEMENT_STRATEGY];
  if (s && s !== 'spread' && s !== 'pack') return { key: KEY_PLACEMENT_STRATEGY, message: `"${s}" is neither spread nor pack` };
  const g = config[KEY_PLACEMENT_GROUP];
  if (g && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(g)) return { key: KEY_PLACEMENT_GROUP, message: `"${g}": use 1-63 letters, digits, '.', '_' or '-'` };
  try {
    resourceAsk(config);
  } catch (e) {
    return { key: (e as { key?: string }).key ?? 'limits', message: (e as Error).message };
  }
  return undefined;
}
