// The exit codes of the `cadre` command, documented in docs/cli.md.

export const exitCodes = {
  ok: 0,
  /** The server refused the request (not found, invalid, conflict) or a command failed. */
  failed: 1,
  /** Wrong usage, or invalid configuration. */
  usage: 2,
  /** The server cannot be reached, or `up`/`migrate` cannot connect to the database. */
  unreachable: 3,
  /** The API key is missing or wrong, or its role does not allow the action. */
  unauthorized: 4,
} as const;

/** An error that ends the command with a message and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
