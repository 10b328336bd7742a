import { Reverter } from './reverter';

describe('Reverter', () => {
  it('undoes in reverse order when the change fails', async () => {
    const log: string[] = [];
    const r = new Reverter();
    r.add(() => { log.push('a'); });
    r.add(async () => { log.push('b'); });
    await r.fail();
    expect(log).toEqual(['b', 'a']);
  });

  it('does nothing after success', async () => {
    const log: string[] = [];
    const r = new Reverter();
    r.add(() => { log.push('a'); });
    r.success();
    await r.fail();
    expect(log).toEqual([]);
  });

  it('runs every undo even when one throws, then reports all failures', async () => {
    const log: string[] = [];
    const r = new Reverter();
    r.add(() => { log.push('a'); });
    r.add(() => { throw new Error('b broke'); });
    r.add(() => { log.push('c'); });
    await expect(r.fail()).rejects.toThrow(/1 undo step\(s\) failed: b broke/);
    expect(log).toEqual(['c', 'a']);
  });
});
