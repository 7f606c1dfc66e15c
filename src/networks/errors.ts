/** A network that cannot be put into a container or taken out of one, said in one sentence. */
export class NetworkError extends Error {}
