/**
 * The member-group calls of berth.v1.ClusterService (berth cluster group ...): LXD's
 * `lxc cluster group` shape over the replicated store (control-plane cluster/groups.ts).
 */
import { ClusterError, GroupStore } from '@berth/control-plane';
import type { ClusterServiceHandlers } from '@berth/proto';
import { unary } from '../daemon/grpc';
import type { ClusterMember } from './cluster-member';

type GroupHandlers = Pick<ClusterServiceHandlers, 'ListMemberGroups' | 'GetMemberGroup' | 'CreateMemberGroup' | 'DeleteMemberGroup' | 'ChangeMemberGroups'>;

export function memberGroupHandlers(cluster: ClusterMember): GroupHandlers {
  const groups = new GroupStore(cluster.node);
  return {
    ListMemberGroups: unary(async () => ({ groups: await groups.list() })),
    GetMemberGroup: unary(async (r: { name: string }) => groups.get(r.name)),
    CreateMemberGroup: unary(async (r: { name: string; description: string }) => groups.create(r.name, r.description)),
    DeleteMemberGroup: unary(async (r: { name: string }) => {
      await groups.delete(r.name);
      return {};
    }),
    ChangeMemberGroups: unary(async (r: { member: string; action: string; groups: string[] }) => {
      if (r.action === 'assign') await groups.assign(r.member, r.groups);
      else if (r.action === 'add' || r.action === 'remove') {
        if (r.groups.length !== 1) throw new ClusterError('INVALID_ARGUMENT', `${r.action} takes one member group, not ${r.groups.length}`);
        await (r.action === 'add' ? groups.add(r.member, r.groups[0]!) : groups.remove(r.member, r.groups[0]!));
      } else throw new ClusterError('INVALID_ARGUMENT', `unknown action "${r.action}" (assign, add, remove)`);
      const m = (await cluster.listMembers()).find((x) => x.name === r.member);
      if (!m) throw new ClusterError('NOT_FOUND', `no member named "${r.member}"`);
      return m;
    }),
  };
}
