// Waiting in tests: for a while, or until something holds, with a bound and a name for what is awaited.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What is awaited, for the error: a function is asked at the timeout, to say what was seen by then. */
type What = string | (() => string);
const describe = (what: What) => (typeof what === 'string' ? what : what());

/**
 * Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. A check
 * that returns a promise is refused: the promise itself is truthy, so it would pass at once
 * (`eventuallyAsync` awaits it).
 */
export async function eventually<T>(
  check: () => (T extends PromiseLike<unknown> ? never : T) | undefined | false,
  timeoutMs = 3000,
  what: What = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value instanceof Promise) throw new Error('eventually got a promise, which would pass at once: use eventuallyAsync');
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${describe(what)}`);
    await sleep(10);
  }
}

/** Like `eventually`, for checks that must await (a DNS query, say). */
export async function eventuallyAsync<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 3000,
  what: What = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${describe(what)}`);
    await sleep(20);
  }
}
