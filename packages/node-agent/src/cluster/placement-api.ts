/**
 * The placement side of the cluster's CreateInstance: checks a launch request against what
 * placement needs (the limits it reads, placement.* keys, `--target @group`), and explains
 * a placement (`berth launch --dry-run`, `berth placement explain`) as the leader's placer
 * would decide it now. See packages/control-plane/design.md, "Placement".
 */
import { DEFAULT_GROUP, GroupStore, ImageHoldings, LimitError, checkPlacementKeys, place, placementRequest, readCandidates } from '@berth/control-plane';
import type { ClusterStore } from '@berth/control-plane';
import type { OperationResponse } from '@berth/proto';
import { validateConfig } from '../agent/config';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { finished } from '../daemon/grpc';

/** Keys whose bounds depend on the member (checked by placement, not against this host). */
const MEMBER_BOUND = ['limits.cpu', 'limits.memory'];

/** Refuses a launch placement cannot read: bad limits or placement keys, an unknown `@group`. */
export async function checkLaunch(store: ClusterStore, r: { config: Record<string, string>; target?: string | undefined }): Promise<void> {
  validateConfig(Object.fromEntries(Object.entries(r.config).filter(([k]) => !MEMBER_BOUND.includes(k))));
  const bad = checkPlacementKeys(r.config);
  if (bad) throw new InvalidArgumentError(`config.${bad.key}`, bad.message);
  const t = r.target ?? '';
  if (t.startsWith('@')) {
    const g = t.slice(1);
    if (!g) throw new InvalidArgumentError('target', '"@" names no member group (--target @GROUP)');
    if (g !== DEFAULT_GROUP && !(await new GroupStore(store.node).list()).some((x) => x.name === g)) {
      throw new NotFoundError(`no member group named "${g}" (--target ${t}); see berth cluster group list`);
    }
  }
}

/**
 * Each member's verdict for the request, changing nothing: metadata `verdict.<member>` =
 * "chosen|eligible|refused: reason", `score.<member>`, and `why` (nothing fits) or `note`.
 */
export async function explainPlacement(store: ClusterStore, r: { name: string; image?: string; config: Record<string, string>; target?: string | undefined }): Promise<OperationResponse> {
  let req;
  try {
    req = placementRequest({ name: r.name, config: r.config, target: r.target }, true);
  } catch (e) {
    if (e instanceof LimitError) throw new InvalidArgumentError(`config.${e.key}`, e.message);
    throw e;
  }
  // Image availability: a member that neither holds the image nor can pull it from an online holder.
  if (r.image) req.image = (await ImageHoldings.read(store.node)).need(r.image);
  const p = place(req, await readCandidates(store));
  const op = finished(`placement of ${r.name} (dry run)`, p.chosen ? { location: p.chosen } : {});
  const md: Record<string, string> = {};
  for (const v of p.verdicts) {
    md[`verdict.${v.member}`] = `${v.eligible ? (v.member === p.chosen ? 'chosen' : 'eligible') : 'refused'}: ${v.reason}`;
    md[`score.${v.member}`] = v.eligible ? String(v.score) : '';
  }
  if (!p.chosen) md['why'] = p.why ?? '';
  if (p.note) md['note'] = p.note;
  md['strategy'] = req.strategy ?? 'spread';
  op.operation!.metadata = md;
  return op;
}
