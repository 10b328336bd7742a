/**
 * Opening one of a member's LevelDB databases (the log, the state machine) with an error that
 * says what is wrong: abstract-level's own is "Database failed to open", its reason in `cause`.
 */
import { Level } from 'level';

/** The database's LevelDB lock is held: a member (this process or another) has it open. */
export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';
  readonly code = 'DATA_DIR_IN_USE';
  constructor(readonly dir: string, options?: { cause?: unknown }) {
    super(`the LevelDB database ${dir} is in use: its lock (${dir}/LOCK) is held by another process, or by another open in this one; is a member already running on this data folder?`, options);
  }
}

/** Whether an error is LevelDB's "lock held", as opened here or as abstract-level reports it. */
export function isLocked(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return e instanceof DatabaseInUseError || err.code === 'LEVEL_LOCKED' || err.cause?.code === 'LEVEL_LOCKED';
}

/** Opens a Buffer-keyed database; a failure names the folder and LevelDB's reason. */
export async function openLevel(dir: string, opts: { createIfMissing?: boolean } = {}): Promise<Level<Buffer, Buffer>> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', ...opts });
  try {
    await db.open();
  } catch (e) {
    if (isLocked(e)) throw new DatabaseInUseError(dir, { cause: e });
    const cause = (e as { cause?: Error }).cause;
    throw new Error(`cannot open the LevelDB database ${dir}: ${cause?.message ?? (e as Error).message}`, { cause: e });
  }
  return db;
}
