// Work that may come in bursts, spread over turns of the event loop: the first piece runs at once,
// each later one waits for a turn of its own, so that the lines of other clients are read and
// answered in between. A mass goodbye (100 sessions of 1,000 provisions each ending together) once
// dropped everything in one turn, and the server answered nothing meanwhile.

export class Turns {
  private readonly waiting: Array<() => void> = [];
  private busy = false;

  /** How many pieces wait for their turn. */
  get pending(): number {
    return this.waiting.length;
  }

  run(work: () => void): void {
    if (this.busy) {
      this.waiting.push(work);
      return;
    }
    this.busy = true;
    try {
      work();
    } finally {
      setImmediate(() => this.next());
    }
  }

  /** Runs every waiting piece now: for a shutdown, which must not leave any for later. */
  flush(): void {
    for (let work = this.waiting.shift(); work; work = this.waiting.shift()) work();
  }

  private next(): void {
    const work = this.waiting.shift();
    if (!work) {
      this.busy = false;
      return;
    }
    try {
      work();
    } finally {
      setImmediate(() => this.next());
    }
  }
}
