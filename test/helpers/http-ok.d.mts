export function getOk(url: string, timeoutMs: number, options?: { agent?: false }): Promise<boolean>;
