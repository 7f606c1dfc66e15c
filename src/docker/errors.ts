// The one error the Docker side throws for what the Engine refused or could not do.

export class DockerError extends Error {
  override readonly name = 'DockerError';
}
