/**
 * Error classes with stable codes. Callers branch on `code`, never on message text.
 * A per-host failure never escapes the batch as an exception: it becomes a result with a
 * `status` (see results.ts). These classes are for programming/usage/protocol faults.
 */
export class MxprobeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The peer broke the SMTP grammar or a safety cap (line length, reply size). */
export class ProtocolError extends MxprobeError {
  constructor(message: string, readonly reason: ProtocolErrorReason) {
    super('E_PROTOCOL', message);
  }
}
export type ProtocolErrorReason =
  | 'line-too-long'
  | 'reply-too-large'
  | 'too-many-lines'
  | 'malformed-line'
  | 'inconsistent-code'
  | 'unsolicited-reply';

/** An argument would smuggle CR, LF or NUL onto the wire (RFC 5321 §2.3.8), or a verb is forbidden. */
export class CommandUnsafeError extends MxprobeError {
  constructor(message: string) {
    super('E_COMMAND_UNSAFE', message);
  }
}

/** Bad flags or arguments; the CLI exits with 2. */
export class UsageError extends MxprobeError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

/** One or more invalid target lines; each issue names file:line. */
/** A signal (SIGINT/SIGTERM) arrived before any work started, e.g. while the targets were read. */
export class InterruptedError extends MxprobeError {
  constructor(message: string) {
    super('E_INTERRUPTED', message);
  }
}

export class TargetInputError extends MxprobeError {
  constructor(readonly problems: ReadonlyArray<{ source: string; line: number; input: string; reason: string }>) {
    super(
      'E_TARGET_INPUT',
      problems.map((p) => `${p.source}${p.line > 0 ? `:${p.line}` : ''}: ${p.reason}${p.input ? ` (${JSON.stringify(p.input)})` : ''}`).join('\n'),
    );
  }
}
