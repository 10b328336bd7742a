/**
 * Merges the MsgApps of one Ready that continue each other into one message per follower.
 *
 * The core emits one MsgApp per proposal (each proposal is broadcast), so a Ready with N
 * proposals carries N MsgApps per follower, and each follower answers N MsgAppResps. Two
 * MsgApps to the same member, of the same term, where the second starts right after the
 * first's last entry (its prevIndex/prevTerm are that entry's), say together exactly what one
 * MsgApp with both entry lists says: the follower checks the first prevIndex/prevTerm, appends
 * all entries, and commits up to min(commit, last new index), the larger commit of the two
 * being the later one. The leader's accounting needs no change: a follower acks its last
 * index, and the inflight window frees every message up to an acked index.
 *
 * Only messages that are adjacent in the per-member order are merged (any other message to
 * that member in between, e.g. a heartbeat, ends the run), so the order in which one member
 * receives things is kept; merging stops at `maxBytes` of entry data.
 */
import type { Message } from '../core/messages';

export function coalesceAppends(messages: readonly Message[], maxBytes: number): Message[] {
  const out: Message[] = [];
  /** Per member: position in `out` of its last message if that is a mergeable MsgApp, and its entry bytes. */
  const open = new Map<number, { at: number; bytes: number }>();
  for (const m of messages) {
    const prev = open.get(m.to);
    if (m.type !== 'MsgApp') {
      open.delete(m.to);
      out.push(m);
      continue;
    }
    let bytes = 0;
    for (const e of m.entries) bytes += e.data.byteLength;
    if (prev) {
      const p = out[prev.at]!;
      const pLast = p.index + p.entries.length;
      const pLastTerm = p.entries.length > 0 ? p.entries[p.entries.length - 1]!.term : p.logTerm;
      if (p.term === m.term && m.index === pLast && m.logTerm === pLastTerm && prev.bytes + bytes <= maxBytes) {
        out[prev.at] = { ...p, entries: [...p.entries, ...m.entries], commit: Math.max(p.commit, m.commit) };
        prev.bytes += bytes;
        continue;
      }
    }
    open.set(m.to, { at: out.length, bytes });
    out.push(m);
  }
  return out;
}
