/**
 * `berth cluster group ...`: member groups, in LXD's `lxc cluster group` shape. A member can
 * be in several groups; `default` holds every member. `berth launch IMAGE NAME --target
 * @GROUP` places into a group.
 *
 *   berth cluster group list | show GROUP | create GROUP [--description D] | delete GROUP
 *   berth cluster group assign MEMBER GROUP[,GROUP...]   (the member's groups become exactly these)
 *   berth cluster group add MEMBER GROUP | remove MEMBER GROUP
 */
import type { ListMemberGroupsResponse__Output, Member__Output, MemberGroup__Output } from '@berth/proto';
import type { BerthClient } from '../client';
import { table } from '../format';

export const GROUP_USAGE = 'list | show GROUP | create GROUP [--description D] | delete GROUP | assign MEMBER GROUP[,GROUP...] | add MEMBER GROUP | remove MEMBER GROUP';

const json = (g: MemberGroup__Output): object => ({ name: g.name, description: g.description, members: g.members });

/** Runs `berth cluster group ACTION ARGS...` (args: what follows the action). */
export async function groupCommand(c: BerthClient, action: string | undefined, args: string[], o: { description?: string | undefined; format: string }): Promise<void> {
  const need = (n: number, what: string): void => {
    if (args.length < n) throw new Error(`berth cluster group ${action} ${what}: ${args.length === 0 ? 'arguments are' : 'an argument is'} missing`);
    if (args.length > n) throw new Error(`berth cluster group ${action} ${what}: unexpected ${args.slice(n).join(' ')}`);
  };
  switch (action) {
    case 'list': {
      need(0, '');
      const { groups } = await c.rpc<ListMemberGroupsResponse__Output>('ListMemberGroups', {}, 30_000, 'cluster');
      if (o.format === 'json') console.log(JSON.stringify(groups.map(json)));
      else console.log(table([['NAME', 'DESCRIPTION', 'MEMBERS'], ...groups.map((g) => [g.name, g.description, String(g.members.length)])]));
      return;
    }
    case 'show': {
      need(1, 'GROUP');
      const g = await c.rpc<MemberGroup__Output>('GetMemberGroup', { name: args[0] }, 30_000, 'cluster');
      console.log(JSON.stringify(json(g), null, 2));
      return;
    }
    case 'create':
      need(1, 'GROUP');
      await c.rpc<MemberGroup__Output>('CreateMemberGroup', { name: args[0], description: o.description ?? '' }, 30_000, 'cluster');
      console.log(`Cluster group ${args[0]} created`);
      return;
    case 'delete':
      need(1, 'GROUP');
      await c.rpc('DeleteMemberGroup', { name: args[0] }, 30_000, 'cluster');
      console.log(`Cluster group ${args[0]} deleted`);
      return;
    case 'assign':
    case 'add':
    case 'remove': {
      need(2, 'MEMBER GROUP');
      const groups = action === 'assign' ? args[1]!.split(',').filter(Boolean) : [args[1]!];
      const m = await c.rpc<Member__Output>('ChangeMemberGroups', { member: args[0], action, groups }, 30_000, 'cluster');
      console.log(action === 'assign' ? `Cluster member ${m.name} is in ${m.groups.join(', ')}` : action === 'add' ? `Cluster member ${args[0]} added to group ${args[1]}` : `Cluster member ${args[0]} removed from group ${args[1]}`);
      return;
    }
    default:
      throw new Error(`berth cluster group ${action ?? ''}: ${GROUP_USAGE}`);
  }
}
