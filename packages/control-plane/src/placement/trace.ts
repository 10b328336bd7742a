/**
 * Stage timestamps along an instance's way through the cluster (API -> intent -> placement ->
 * owner's agent -> observed -> operation end), for finding where a launch spends its time.
 * Off unless BERTH_LAUNCH_TRACE is set; then one line per stage on stderr (berthd.log):
 * `launch-trace <epoch ms, µs precision> <member> <stage> <instance> [detail]`. The clock is
 * the host's, so lines of the members of a local cluster (one machine) line up.
 */
const ON = !!process.env['BERTH_LAUNCH_TRACE'];

export const launchTraceOn = ON;

export function launchTrace(member: string, stage: string, name: string, detail = ''): void {
  if (!ON) return;
  const at = performance.timeOrigin + performance.now();
  process.stderr.write(`launch-trace ${at.toFixed(3)} ${member} ${stage} ${name}${detail ? ` ${detail}` : ''}\n`);
}
