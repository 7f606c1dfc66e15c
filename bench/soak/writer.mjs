// Runs inside a harness host's namespace, as the soak's blog reader and writer, outside scs: every
// INTERVAL ms it publishes a post through WordPress's XML-RPC (wp.newPost, as bench/blog-stack.ts
// does) at BASE (web's published port), then reads back, by id through the REST API, the last post
// it was acknowledged. It prints one JSON line per answer:
//   {"at", "via": "post", "title", "id"} when WordPress acknowledged the post, {"at", "via": "post", "title", "error"} when not;
//   {"at", "via": "read", "id", "title"} or {"at", "via": "read", "id", "error"}.
// `at` is when the request was sent. The admin's name and password come from SOAK_WP_USER and SOAK_WP_PASSWORD.
// A request is given 10 s, or WRITER_TIMEOUT_MS.
// BASE is WordPress's URL, or a file where a dependent's live update writes web's address (read again
// before each request, so the writer follows web when it moves).
//   node writer.mjs BASE INTERVAL PREFIX        posts titled "PREFIX 1", "PREFIX 2", ...
//   node writer.mjs --read BASE < IDS           reads back the posts whose ids (comma-separated) come on stdin, 100 a
//                                               request: one line per request, {"ids", "status", "body"} or {"ids", "error"}
import { readFileSync } from 'node:fs';
import { newPostBody, newPostId } from '../wordpress-xmlrpc.mjs';

const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const user = process.env.SOAK_WP_USER ?? 'admin';
const password = process.env.SOAK_WP_PASSWORD ?? '';
/** WordPress waits up to BLOG_DB_WAIT (5 s) for a database that is away: a request gets 10 s, or WRITER_TIMEOUT_MS. */
const TIMEOUT_MS = Number(process.env.WRITER_TIMEOUT_MS ?? 10_000);

/** WordPress's URL now: BASE itself, or the first address in the file BASE names ('' while there is none). */
function urlOf(base) {
  if (/^https?:\/\//.test(base)) return base;
  try {
    const address = readFileSync(base, 'utf8').trim().split(';')[0];
    return address ? `http://${address}` : '';
  } catch {
    return '';
  }
}

async function post(base, title) {
  const body = newPostBody(user, password, title, `${title}, written by the soak.`);
  const at = Date.now();
  try {
    const response = await fetch(`${urlOf(base)}/xmlrpc.php`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const answer = await response.text();
    const id = newPostId(answer);
    if (response.status === 200 && id !== undefined) return { at, via: 'post', title, id };
    return {
      at,
      via: 'post',
      title,
      error: `wp.newPost answered ${response.status}: ${answer
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 160)}`,
    };
  } catch (error) {
    return { at, via: 'post', title, error: error.cause?.code ?? error.name ?? String(error) };
  }
}

async function get(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { status: response.status, body: await response.text() };
}

async function read(base, id) {
  const at = Date.now();
  try {
    const { status, body } = await get(`${urlOf(base)}/?rest_route=/wp/v2/posts/${id}&_fields=id,title`);
    if (status !== 200) return { at, via: 'read', id, error: `WordPress answered ${status}` };
    return { at, via: 'read', id, title: JSON.parse(body).title?.rendered };
  } catch (error) {
    return { at, via: 'read', id, error: error.cause?.code ?? error.name ?? String(error) };
  }
}

const args = process.argv.slice(2);
if (args[0] === '--read') {
  const [, base] = args;
  // On stdin, not in the arguments: a long run's ids would outgrow an argument's 128 kB.
  let list = '';
  for await (const chunk of process.stdin) list += chunk;
  const ids = list.trim().split(',').filter(Boolean);
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100).map(Number);
    try {
      print({
        ids: batch,
        ...(await get(`${urlOf(base)}/?rest_route=/wp/v2/posts&include=${batch.join(',')}&per_page=100&_fields=id,title`)),
      });
    } catch (error) {
      print({ ids: batch, error: error.cause?.code ?? error.name ?? String(error) });
    }
  }
  process.exit(0);
}
const [base, interval, prefix] = args;
let last;
for (let n = 1; ; n++) {
  const started = Date.now();
  const written = await post(base, `${prefix} ${n}`);
  print(written);
  if (written.id) last = written.id;
  if (last) print(await read(base, last));
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(interval) - (Date.now() - started))));
}
