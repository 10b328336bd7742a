/**
 * The member-group and member-role calls of berth.v1.ClusterService (berth cluster group ...,
 * berth cluster role ...): LXD's `lxc cluster group` / `lxc cluster role` shape over the
 * replicated store (control-plane cluster/groups.ts, MemberInfo.roles).
 */
import { ClusterError, GroupStore, MEMBER_ROLES } from '@berth/control-plane';
import type { ClusterServiceHandlers } from '@berth/proto';
import { unary } from '../daemon/grpc';
import type { ClusterMember } from './cluster-member';

type GroupHandlers = Pick<ClusterServiceHandlers, 'ListMemberGroups' | 'GetMemberGroup' | 'CreateMemberGroup' | 'DeleteMemberGroup' | 'ChangeMemberGroups' | 'ChangeMemberRoles'>;

export function memberGroupHandlers(cluster: ClusterMember): GroupHandlers {
  const groups = new GroupStore(cluster.node);
  const member = async (name: string): Promise<Awaited<ReturnType<ClusterMember['listMembers']>>[number]> => {
    const m = (await cluster.listMembers()).find((x) => x.name === name);
    if (!m) throw new ClusterError('NOT_FOUND', `no member named "${name}"`);
    return m;
  };
  return {
    // berth cluster role add|remove MEMBER ROLE: the roles an operator gives (Raft roles are the leader's).
    ChangeMemberRoles: unary(async (r: { member: string; action: string; role: string }) => {
      if (!(MEMBER_ROLES as readonly string[]).includes(r.role)) throw new ClusterError('INVALID_ARGUMENT', `role: "${r.role}" cannot be given (${MEMBER_ROLES.join(', ')}; voter, learner and leader are kept by the cluster itself)`);
      if (r.action !== 'add' && r.action !== 'remove') throw new ClusterError('INVALID_ARGUMENT', `unknown action "${r.action}" (add, remove)`);
      const add = r.action === 'add';
      if (add) {
        // A voter gives its vote to a stand-by: refuse when none could take it.
        const all = await cluster.listMembers();
        const self = all.find((x) => x.name === r.member);
        if (self?.roles?.includes('voter') && !all.some((x) => x.name !== r.member && x.roles?.includes('learner') && !x.roles?.includes('database-client') && x.status === 'Online')) {
          throw new ClusterError('FAILED_PRECONDITION', `member ${r.member} is a voter and no online stand-by can take its vote: add a member first`);
        }
      }
      await cluster.store.changeMember(r.member, (m) => {
        const has = (m.roles ?? []).includes(r.role);
        if (has === add) return undefined;
        const roles = add ? [...(m.roles ?? []), r.role] : (m.roles ?? []).filter((x) => x !== r.role);
        return { ...m, roles: roles.length ? roles : undefined };
      });
      return member(r.member);
    }),
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
      return member(r.member);
    }),
  };
}
