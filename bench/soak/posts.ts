// I4's judge (pure): every post WordPress acknowledged during the soak is still readable at the end.
// A post WordPress did not acknowledge (web or db away, an answer cut off) is not a write anyone was
// promised, so only the acknowledged ones are judged; each one not read back is a violation with its
// id, its title and when it was acknowledged.

import type { Rule } from './partition.ts';

/** A post WordPress acknowledged: the id wp.newPost answered, and when. */
export interface Post {
  readonly id: number;
  readonly title: string;
  readonly at: number;
}

/** What reading a post back by id last answered: found with its title, or why not. */
export interface ReadBack {
  readonly id: number;
  readonly title?: string;
  readonly error?: string;
}

export const I4_NAME = 'I4 every post WordPress acknowledged is readable at the end';

/**
 * The posts of a REST answer (`/wp/v2/posts?include=…`), by id: WordPress gives each title rendered
 * (HTML entities and all); the soak's titles are plain words and digits, which it leaves as they are.
 */
export function postsIn(status: number, body: string): Map<number, string> {
  if (status !== 200)
    throw new Error(
      `WordPress answered ${status}: ${body
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 200)}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`WordPress answered 200 but not JSON: ${body.slice(0, 200)}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`WordPress answered 200 but not a list of posts: ${body.slice(0, 200)}`);
  const found = new Map<number, string>();
  for (const post of parsed as Array<{ id?: unknown; title?: { rendered?: unknown } }>) {
    if (typeof post.id === 'number' && typeof post.title?.rendered === 'string') found.set(post.id, post.title.rendered);
  }
  return found;
}

/** The acknowledged posts not read back yet, from the answers so far (a later answer replaces an earlier one). */
export function unread(posts: readonly Post[], reads: ReadonlyMap<number, ReadBack>): Post[] {
  return posts.filter((post) => reads.get(post.id)?.title !== post.title);
}

/** I4: one check per acknowledged post; a violation for each whose last read did not find it with its title. */
export function judgePosts(posts: readonly Post[], reads: ReadonlyMap<number, ReadBack>, start: number): Rule {
  const rule: Rule = { name: I4_NAME, checks: 0, violations: [] };
  const t = (at: number) => `t+${((at - start) / 1000).toFixed(1)}s`;
  for (const post of posts) {
    rule.checks++;
    const read = reads.get(post.id);
    if (read?.title === post.title) continue;
    const answer =
      read === undefined
        ? 'never read back'
        : read.title !== undefined
          ? `read back with another title, "${read.title}"`
          : `not read back: ${read.error ?? 'not found'}`;
    rule.violations.push({ at: post.at, what: `post ${post.id} "${post.title}", acknowledged at ${t(post.at)}, is ${answer}` });
  }
  return rule;
}
