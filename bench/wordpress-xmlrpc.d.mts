export function newPostBody(user: string, password: string, title: string, content: string): string;
export function newPostId(answer: string): number | undefined;
