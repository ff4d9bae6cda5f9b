/**
 * The platform cannot be set up on this machine as it is (no Java, no Maven, a folder the
 * embedded PostgreSQL cannot enter): the message says why and what to do instead. The start
 * command prints it as it is and exits with code 3.
 */
export class SetupError extends Error {
  override name = 'SetupError';
}
