/**
 * Reverter: undo for multi-step changes (LXD's revert.Reverter).
 *
 *   const revert = new Reverter();
 *   try {
 *     await makeVolume(); revert.add(() => deleteVolume());
 *     await writeBundle(); revert.add(() => removeBundle());
 *     await start();
 *     revert.success();
 *   } finally {
 *     await revert.fail();   // no-op after success(); else undoes in reverse order
 *   }
 *
 * Undo steps run in reverse order; one that throws does not stop the others (the errors
 * are collected and rethrown together, after all ran), so a failed create leaves as little
 * behind as it can.
 */
export type Undo = () => void | Promise<void>;

export class Reverter {
  private undos: Undo[] = [];
  private done = false;

  add(undo: Undo): void {
    this.undos.push(undo);
  }

  /** The change is complete: fail() becomes a no-op. */
  success(): void {
    this.done = true;
    this.undos = [];
  }

  /** Undoes every step added so far, newest first, unless success() was called. */
  async fail(): Promise<void> {
    if (this.done) return;
    this.done = true;
    const errors: unknown[] = [];
    for (const undo of this.undos.reverse()) {
      try {
        await undo();
      } catch (e) {
        errors.push(e);
      }
    }
    this.undos = [];
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} undo step(s) failed: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`);
  }
}
