/**
 * Errors of the agent and its drivers. Each class sets `name`, carries a stable `code`
 * (callers, the gRPC mapping and the CLI switch on it, never on the message) and says
 * when it is thrown. Messages name what is wrong: the field, the entry, the capability.
 */
export abstract class AgentError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The named instance, volume, snapshot or image does not exist. */
export class NotFoundError extends AgentError {
  readonly code = 'NOT_FOUND';
}

/** Something with that name already exists. */
export class AlreadyExistsError extends AgentError {
  readonly code = 'ALREADY_EXISTS';
}

/** A request is malformed: a bad name, an unknown config key, a bad value. `field` names it. */
export class InvalidArgumentError extends AgentError {
  readonly code = 'INVALID_ARGUMENT';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/**
 * This host cannot do it (LXD's ErrNotSupported). `capability` names the missing feature
 * as the capability report does (e.g. "criu.lazyPages", "btrfs"), `detail` says why.
 */
export class NotSupportedError extends AgentError {
  readonly code = 'NOT_SUPPORTED';
  constructor(readonly capability: string, readonly detail: string) {
    super(`not supported on this host: ${capability} (${detail})`);
  }
}

/** The object is in the wrong state for the request (e.g. deleting a running instance). */
export class FailedPreconditionError extends AgentError {
  readonly code = 'FAILED_PRECONDITION';
}

/** A tool or the kernel failed; the message carries what it said. */
export class InternalError extends AgentError {
  readonly code = 'INTERNAL';
}
