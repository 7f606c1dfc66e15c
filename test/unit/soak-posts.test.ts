// The soak's I4 judge (bench/soak/posts.ts) on made-up posts and answers: an acknowledged post read
// back with its title passes; one missing, or read back otherwise, is a violation with its id, title
// and when it was acknowledged; a post WordPress never acknowledged is not judged at all.

import { describe, expect, it } from 'vitest';
import { I4_NAME, judgePosts, type Post, postsIn, type ReadBack, unread } from '../../bench/soak/posts.ts';
import { type Outcome, report, violationCount } from '../../bench/soak/report.ts';

const START = 1_000_000;
const posts: Post[] = [
  { id: 5, title: 'soak 28 post 1', at: START + 2000 },
  { id: 6, title: 'soak 28 post 2', at: START + 4000 },
  { id: 8, title: 'soak 28 post 4', at: START + 8500 },
];
const reads = (...list: ReadBack[]) => new Map(list.map((read) => [read.id, read]));

describe('the soak I4 judge', () => {
  it('passes every acknowledged post read back with its title, one check each', () => {
    const rule = judgePosts(posts, reads(...posts.map(({ id, title }) => ({ id, title }))), START);
    expect([rule.checks, rule.violations]).toEqual([3, []]);
  });

  it('reports each acknowledged post not read back, with its id, its title, when it was acknowledged and the last answer', () => {
    const rule = judgePosts(
      posts,
      reads(
        { id: 5, title: 'soak 28 post 1' },
        { id: 6, error: 'WordPress answered without it: it has no such post' },
        { id: 8, title: 'soak 28 post 3' },
      ),
      START,
    );
    expect(rule.checks).toBe(3);
    expect(rule.violations).toEqual([
      {
        at: START + 4000,
        what: 'post 6 "soak 28 post 2", acknowledged at t+4.0s, is not read back: WordPress answered without it: it has no such post',
      },
      { at: START + 8500, what: 'post 8 "soak 28 post 4", acknowledged at t+8.5s, is read back with another title, "soak 28 post 3"' },
    ]);
  });

  it('counts a post never asked about as unread, and judges no post it was not given (one WordPress did not acknowledge)', () => {
    const rule = judgePosts(posts.slice(0, 1), reads(), START);
    expect(rule.violations.map((v) => v.what)).toEqual(['post 5 "soak 28 post 1", acknowledged at t+2.0s, is never read back']);
    expect(judgePosts([], reads({ id: 7, error: 'timeout' }), START)).toMatchObject({ checks: 0, violations: [] });
  });

  it('asks again only for the posts not read back yet', () => {
    expect(unread(posts, reads({ id: 5, title: 'soak 28 post 1' }, { id: 6, error: 'TimeoutError' })).map((post) => post.id)).toEqual([
      6, 8,
    ]);
  });

  it("reads WordPress's REST answer by id, and says why when it is not a list of posts", () => {
    const body = JSON.stringify([
      { id: 5, title: { rendered: 'soak 28 post 1' } },
      { id: 6, title: { rendered: 'soak 28 post 2' } },
    ]);
    expect(postsIn(200, body)).toEqual(
      new Map([
        [5, 'soak 28 post 1'],
        [6, 'soak 28 post 2'],
      ]),
    );
    expect(() => postsIn(500, '<html><body><h1>Error establishing a database connection</h1></body></html>')).toThrow(
      'WordPress answered 500: Error establishing a database connection',
    );
    expect(() => postsIn(200, '<html>maintenance</html>')).toThrow('WordPress answered 200 but not JSON');
    expect(() => postsIn(200, '{"code":"rest_no_route"}')).toThrow('not a list of posts');
  });

  it('puts I4 in the table: its checks and violations, each violation with the events around it, or "not run" without the blog', () => {
    const outcome = (rule: Outcome['extra'][number]): Outcome => ({
      seed: 28,
      minutes: 3,
      start: START,
      events: [{ at: START + 3000, kind: 'container-kill', host: 'h1', what: "SIGKILL the main process of the blog's db" }],
      verdict: { checks: { I1: 10, I2: 10, I3: 5 }, violations: [], convergenceMs: [] },
      rules: [],
      extra: [rule],
      cpuIdle: [40],
    });
    const skipped = report(outcome({ name: I4_NAME, checks: 0, violations: [], skipped: 'not run (--blog off)' }));
    expect(skipped).toContain(`| ${I4_NAME} | — | not run (--blog off) |`);
    const judged = outcome(judgePosts(posts, reads({ id: 5, title: 'soak 28 post 1' }, { id: 8, title: 'soak 28 post 4' }), START));
    const table = report(judged);
    expect(violationCount(judged)).toBe(1);
    expect(table).toContain(`| ${I4_NAME} | 3 | 1 |`);
    expect(table).toContain('I4 at t+4.0s: post 6 "soak 28 post 2", acknowledged at t+4.0s, is never read back');
    expect(table).toContain("t+3.0s h1 container-kill: SIGKILL the main process of the blog's db");
  });
});
