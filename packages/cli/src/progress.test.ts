import { moveProgressDetail, pullProgressDetail } from './progress';

describe('moveProgressDetail', () => {
  it('shows the phase of one move, with bytes, rate and ETA while it sends', () => {
    const m = { 'move.c1.phase': 'images', 'move.c1.bytes': String(41 << 20), 'move.c1.total': String(120 << 20), 'move.c1.rate_bps': String(12 << 20), 'move.c1.eta_s': '6.6', 'move.c1.phases': 'volume 1.00s 3.0MiB; checkpoint 0.40s' };
    expect(moveProgressDetail(m, ['c1'])).toBe('images 41.00MiB/120.00MiB (34%), 12.00MiB/s, ETA 7s');
    expect(moveProgressDetail({ 'move.c1.phase': 'checkpoint' }, ['c1'])).toBe('checkpoint');
  });

  it('names each instance of an evacuation, and leaves out those done', () => {
    const m = { 'move.b.phase': 'restore', 'move.a.phase': 'volume', 'move.a.bytes': '1048576', 'move.a.total': '2097152', 'move.a.rate_bps': '1048576', 'move.a.eta_s': '1', 'move.c.phase': 'done', other: 'x' };
    expect(moveProgressDetail(m)).toBe('a: volume 1.00MiB/2.00MiB (50%), 1.00MiB/s, ETA 1s | b: restore');
    expect(moveProgressDetail(undefined)).toBe('');
  });
});

describe('pullProgressDetail', () => {
  it('shows bytes, rate, ETA and the peers of an image pull, or that it is starting', () => {
    expect(pullProgressDetail({ 'progress.bytes': String(50 << 20), 'progress.total': String(200 << 20), 'progress.rate_bps': String(25 << 20), 'progress.eta_s': '5.9', 'progress.peers': 'member1,member3' }))
      .toBe('50.00MiB/200.00MiB (25%), 25.00MiB/s, ETA 6s from member1,member3');
    expect(pullProgressDetail({})).toBe('starting');
    expect(pullProgressDetail(undefined)).toBe('starting');
  });
});
