// A berthd killed with -9 a moment ago may still be exiting when the next one starts on its
// folder: claimDataDir waits for it instead of refusing (session 16, a CI flake after kill -9).
import { spawn } from 'node:child_process';
import { dyingFrom, isDying } from './daemon';

const stat = (flags: number): string => `4242 (node (x) y) S 1 4242 4242 0 -1 ${flags} 100 0 0 0 5 1 0 0 20 0 11 0 123 0 0`;
const status = (sigpnd: string, shdpnd: string): string => `Name:\tnode\nState:\tS (sleeping)\nSigPnd:\t${sigpnd}\nShdPnd:\t${shdpnd}\nSigBlk:\t0000000000000000\n`;

describe('isDying', () => {
  it('reads PF_EXITING from stat (after a command name with spaces and parentheses) and a pending SIGKILL from status', () => {
    expect(dyingFrom(stat(0x400100), status('0000000000000000', '0000000000000000'))).toBe(false);
    expect(dyingFrom(stat(0x400104), status('0000000000000000', '0000000000000000'))).toBe(true);
    expect(dyingFrom(stat(0x400100), status('0000000000000000', '0000000000000100'))).toBe(true);
    expect(dyingFrom(stat(0x400100), status('0000000000000100', '0000000000000000'))).toBe(true);
    // SIGTERM (bit 15) pending is not dying: a berthd handles it and stops cleanly.
    expect(dyingFrom(stat(0x400100), status('0000000000004000', '0000000000004000'))).toBe(false);
  });

  it('says a live process is not dying, and one that is gone is', async () => {
    expect(isDying(process.pid)).toBe(false);
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    expect(isDying(child.pid!)).toBe(false);
    child.kill('SIGKILL');
    await exited;
    expect(isDying(child.pid!)).toBe(true);
  });
});
