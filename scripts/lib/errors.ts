/** Failures the scripts report to a person: each says what happened and what to do. */
export class SetupError extends Error {
  override name = "SetupError";
  constructor(message: string, readonly hint: string) {
    super(message);
  }
  /** One line for the terminal: the problem, then what to do about it. */
  get userMessage(): string {
    return `${this.message}\n  → ${this.hint}`;
  }
}

export class PortInUseError extends SetupError {
  override name = "PortInUseError";
  constructor(readonly port: number, readonly purpose: string, readonly host: string, hint: string) {
    super(`port ${port} (${purpose}) on ${host} is already in use`, hint);
  }
}
