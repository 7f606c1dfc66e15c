// WordPress's XML-RPC wp.newPost, as the blog's benchmarks and the soak's writer (a plain script run
// in a harness host's namespace) publish a post: the request body, and the new post's id in the answer.

const xmlText = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const value = (text) => `<value><string>${xmlText(text)}</string></value>`;
const member = (name, text) => `<member><name>${name}</name>${value(text)}</member>`;

/** The body of a wp.newPost call that publishes a post as `user`. */
export function newPostBody(user, password, title, content) {
  return `<?xml version="1.0"?><methodCall><methodName>wp.newPost</methodName><params>
<param><value><int>1</int></value></param><param>${value(user)}</param><param>${value(password)}</param>
<param><value><struct>${member('post_title', title)}${member('post_content', content)}${member('post_status', 'publish')}</struct></value></param>
</params></methodCall>`;
}

/** The new post's id in wp.newPost's answer, or undefined when it is not there (a fault, an error page). */
export function newPostId(answer) {
  const id = /<string>(\d+)<\/string>/.exec(answer)?.[1];
  return id && !answer.includes('<fault>') ? Number(id) : undefined;
}
