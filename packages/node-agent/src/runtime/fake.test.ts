import { FakeRuntimeDriver } from './fake';
import { runtimeDriver, runtimeDrivers } from './index';

describe('FakeRuntimeDriver (for callers\' unit tests)', () => {
  it('keeps the runc driver\'s state machine and error codes', async () => {
    const d = new FakeRuntimeDriver();
    await d.create({ name: 'c1', rootfs: '/r' });
    await expect(d.create({ name: 'c1', rootfs: '/r' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await d.start('c1');
    await expect(d.rename('c1', 'c2')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await d.freeze('c1');
    expect((await d.state('c1')).status).toBe('Frozen');
    await d.unfreeze('c1');
    d.execHandler = (_n, p) => ({ stdout: p.args.join(' '), exitCode: 2 });
    const e = d.exec('c1', { args: ['echo', 'hi'] });
    let out = '';
    e.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    expect(await e.exited).toEqual({ exitCode: 2 });
    expect(out).toBe('echo hi');
    d.failNext.stop = new Error('boom');
    await expect(d.stop('c1', { force: false, timeoutMs: 1 })).rejects.toThrow('boom');
    await d.stop('c1', { force: false, timeoutMs: 1 });
    await d.rename('c1', 'c2');
    expect((await d.list()).map((s) => [s.name, s.status])).toEqual([['c2', 'Stopped']]);
    await d.delete('c2');
    await expect(d.state('c2')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(d.calls[0]).toBe('create c1');
  });

  it('is not in the production driver map', () => {
    expect(Object.keys(runtimeDrivers)).toEqual(['runc']);
    expect(runtimeDriver('fake', { dataDir: '/x', cgroupParent: '/berth-test-x' })).toBeUndefined();
    expect(runtimeDriver('runc', { dataDir: '/x', cgroupParent: '/berth-test-x' })?.name).toBe('runc');
  });
});
