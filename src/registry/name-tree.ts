// The names that have provisions, indexed label by label from the environment down, so that a
// pattern (`*.*.hello.dev`) finds its names by walking only the branches it names: a literal
// label is one lookup, and only a `*` visits every branch at its level.

import { WILDCARD } from '../names.ts';

type Branch = Map<string, Branch>;

/** Canonical names (four labels) as a tree: environment, stack, service, endpoint. */
export class NameTree {
  private readonly root: Branch = new Map();

  add(name: string): void {
    let branch = this.root;
    for (const label of name.split('.').reverse()) {
      let next = branch.get(label);
      if (!next) branch.set(label, (next = new Map()));
      branch = next;
    }
  }

  /** Forgets a name, and every branch it leaves empty. */
  delete(name: string): void {
    const labels = name.split('.').reverse();
    const path: Branch[] = [this.root];
    for (const label of labels) {
      const next = path.at(-1)!.get(label);
      if (!next) return;
      path.push(next);
    }
    for (let depth = labels.length - 1; depth >= 0; depth--) {
      const parent = path[depth]!;
      if (path[depth + 1]!.size > 0) return;
      parent.delete(labels[depth]!);
    }
  }

  /** The names a canonical pattern matches, sorted. */
  match(pattern: string): string[] {
    const labels = pattern.split('.').reverse();
    const found: string[] = [];
    const walk = (branch: Branch, depth: number, suffix: string[]): void => {
      if (depth === labels.length) {
        found.push([...suffix].reverse().join('.'));
        return;
      }
      const label = labels[depth]!;
      if (label !== WILDCARD) {
        const next = branch.get(label);
        if (next) walk(next, depth + 1, [...suffix, label]);
        return;
      }
      for (const [value, next] of branch) walk(next, depth + 1, [...suffix, value]);
    };
    walk(this.root, 0, []);
    return found.sort();
  }
}
