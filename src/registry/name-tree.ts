// The names that have provisions, indexed label by label from the environment down, so that a
// pattern (`*.*.hello.dev`) finds its names by walking only the branches it names: a literal
// label is one lookup, and only a `*` visits every branch at its level. Each branch knows its
// parent, so the registry forgets a name from the leaf it was given, without reading its labels
// again: a mass goodbye forgets a hundred thousand names in one go.

import { WILDCARD } from '../names.ts';

/** One label of a name, under the label above it. */
export class NameBranch {
  readonly children = new Map<string, NameBranch>();
  /** Taken out of its parent: a leaf forgotten twice is found so without a lookup of its label. */
  forgotten = false;

  constructor(
    readonly parent: NameBranch | undefined,
    readonly label: string,
  ) {}
}

/** Canonical names (four labels) as a tree: environment, stack, service, endpoint. */
export class NameTree {
  private readonly root = new NameBranch(undefined, '');

  /** Adds a name (again, harmlessly) and returns its leaf, for `forget`. */
  add(name: string): NameBranch {
    let branch = this.root;
    for (const label of name.split('.').reverse()) {
      let next = branch.children.get(label);
      if (!next) branch.children.set(label, (next = new NameBranch(branch, label)));
      branch = next;
    }
    return branch;
  }

  /** Forgets a name, and every branch it leaves empty. */
  delete(name: string): void {
    let branch: NameBranch | undefined = this.root;
    for (const label of name.split('.').reverse()) {
      branch = branch.children.get(label);
      if (!branch) return;
    }
    this.forget(branch);
  }

  /** Forgets the name whose leaf `add` gave, and every branch it leaves empty; a leaf already forgotten changes nothing. */
  forget(leaf: NameBranch): void {
    for (let branch = leaf; branch.parent && branch.children.size === 0; branch = branch.parent) {
      if (branch.forgotten) return;
      branch.forgotten = true;
      branch.parent.children.delete(branch.label);
    }
  }

  /** The names a canonical pattern matches, sorted. */
  match(pattern: string): string[] {
    const labels = pattern.split('.').reverse();
    const found: string[] = [];
    const walk = (branch: NameBranch, depth: number, suffix: string[]): void => {
      if (depth === labels.length) {
        found.push([...suffix].reverse().join('.'));
        return;
      }
      const label = labels[depth]!;
      if (label !== WILDCARD) {
        const next = branch.children.get(label);
        if (next) walk(next, depth + 1, [...suffix, label]);
        return;
      }
      for (const [value, next] of branch.children) walk(next, depth + 1, [...suffix, value]);
    };
    walk(this.root, 0, []);
    return found.sort();
  }
}
