/** Asking the operator before something drastic, as lxc does ("(yes/no)"). */
import * as readline from 'node:readline';

/**
 * Prints `question` and reads one line from stdin: true only for "yes" or "y". A stdin that
 * ends (a script without a terminal) answers no, so nothing drastic happens unasked.
 */
export function confirm(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    let answered = false;
    rl.question(question, (a) => {
      answered = true;
      rl.close();
      resolve(/^(y|yes)$/i.test(a.trim()));
    });
    rl.on('close', () => {
      if (!answered) resolve(false);
    });
  });
}
