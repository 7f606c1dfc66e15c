// How the CLI reaches a running agent: a Unix socket beside its state. One request a connection,
// as one JSON line; the agent answers with the log lines of what it does, then one result line.
// Both sides check what they read. Who may connect is who may enter its folder: only the agent's user.

import { createHash } from 'node:crypto';
import { chmodSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { describeIssues } from '../protocol/fields.ts';
import { encodeLine, LineSplitter } from '../protocol/framing.ts';

const ServiceNames = v.array(v.pipe(v.string(), v.maxLength(63)), 'expected a list of services');

export const ControlRequestSchema = v.variant('op', [
  v.strictObject({
    op: v.literal('up'),
    files: v.array(v.pipe(v.string(), v.maxLength(4096)), 'expected a list of stack files'),
    services: ServiceNames,
    // The command's active profiles and the variables its stack files read: the agent reads the files as the command did.
    // Sent only when there are some, so that an agent of an earlier scs still takes a request that needs neither.
    profiles: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(63))), v.maxLength(64))),
    variables: v.optional(
      v.pipe(
        v.record(v.pipe(v.string(), v.maxLength(256)), v.pipe(v.string(), v.maxLength(65_536))),
        v.check((record) => Object.keys(record).length <= 1024, 'expected at most 1024 variables'),
      ),
    ),
  }),
  // `scs down`: the agent drains (endpoints dropped, containers removed, volumes let go of, goodbye), answers,
  // and exits. `scs down --volumes` deletes the volumes itself, afterwards, as it does what a dead agent left.
  v.strictObject({ op: v.literal('down') }),
  v.strictObject({
    op: v.picklist(['stop', 'start', 'restart']),
    // None named: every service the agent runs.
    services: ServiceNames,
  }),
]);
export type ControlRequest = v.InferOutput<typeof ControlRequestSchema>;

const ControlMessageSchema = v.union([
  v.strictObject({ log: v.string() }),
  v.strictObject({ ok: v.literal(true) }),
  v.strictObject({ ok: v.literal(false), error: v.string() }),
]);
type ControlMessage = v.InferOutput<typeof ControlMessageSchema>;

/**
 * Unix socket paths are short (108 bytes on Linux): a deep stack folder gets one in a folder of its
 * own in the temporary folder, which is held to the same rule as the state folder (private-folder.ts).
 */
export function controlPath(stateDirectory: string): string {
  const path = join(stateDirectory, 'agent.sock');
  if (Buffer.byteLength(path) < 100) return path;
  return join(tmpdir(), `scs-${createHash('sha256').update(path).digest('hex').slice(0, 16)}`, 'agent.sock');
}

export type ControlHandler = (request: ControlRequest, log: (line: string) => void) => Promise<void>;

export async function serveControl(path: string, handle: ControlHandler): Promise<Server> {
  rmSync(path, { force: true }); // Left by an agent that was killed: its process is gone.
  const server = createServer((socket) => {
    const splitter = new LineSplitter();
    const send = (message: ControlMessage) => {
      if (!socket.destroyed) socket.write(encodeLine(message));
    };
    let answered = false;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch (error) {
        answered = true;
        send({ ok: false, error: (error as Error).message });
        socket.end();
        return;
      }
      const [line] = lines;
      if (line === undefined) return;
      answered = true;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        send({ ok: false, error: 'the request is not JSON' });
        socket.end();
        return;
      }
      const parsed = v.safeParse(ControlRequestSchema, raw);
      if (!parsed.success) {
        send({ ok: false, error: describeIssues(parsed.issues) });
        socket.end();
        return;
      }
      handle(parsed.output, (text) => send({ log: text }))
        .then(
          () => send({ ok: true }),
          (error: Error) => send({ ok: false, error: error.message }),
        )
        .finally(() => socket.end());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The folder is the guard; the socket is closed to others as well, in case the folder is ever opened.
  chmodSync(path, 0o600);
  server.unref();
  return server;
}

/** Sends one request to the agent at `path`; `onLog` gets its log lines; rejects with its error. */
export function callAgent(path: string, request: ControlRequest, onLog: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const splitter = new LineSplitter();
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.on('connect', () => socket.write(encodeLine(request)));
    socket.on('error', (error) => settle(new Error(`cannot reach the agent at ${path}: ${error.message}`)));
    socket.on('close', () => settle(new Error('the agent closed the connection without an answer')));
    socket.on('data', (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch (error) {
        return settle(error as Error);
      }
      for (const line of lines) {
        let parsed: v.SafeParseResult<typeof ControlMessageSchema>;
        try {
          parsed = v.safeParse(ControlMessageSchema, JSON.parse(line));
        } catch {
          return settle(new Error('the agent sent a line that is not JSON'));
        }
        if (!parsed.success) return settle(new Error(`the agent sent an unexpected message: ${describeIssues(parsed.issues)}`));
        const message = parsed.output;
        if ('log' in message) onLog(message.log);
        else return settle(message.ok ? undefined : new Error(message.error));
      }
    });
  });
}
