// `node --import ./load-trace.mjs PROGRAM`: appends to the file SCS_LOAD_TRACE one line for each
// module the program loads ("esm URL", "cjs PATH", "builtin NAME"), for each module of the bundle
// that runs ("bundled PATH"), and for each Intl.Segmenter it builds ("segmenter"), so that a test can
// say what a command loads without timing it.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const out = process.env.SCS_LOAD_TRACE;
if (!out) throw new Error('load-trace.mjs: set SCS_LOAD_TRACE to the file to append to');
const note = (line) => appendFileSync(out, `${line}\n`);

// The hooks run in a thread of their own: they append to the file themselves.
const hooks = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(out)}, 'esm ' + url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const load = Module._load;
Module._load = function (request, parent, isMain) {
  const loaded = load.call(this, request, parent, isMain);
  if (request.startsWith('node:') || Module.builtinModules.includes(request)) {
    note(`builtin ${request.startsWith('node:') ? request : `node:${request}`}`);
  } else {
    note(`cjs ${Module._resolveFilename(request, parent, isMain)}`);
  }
  return loaded;
};

// esbuild wraps each module of the bundle that is not run at its start in a function that runs it
// once, at its first import: the function is the one method of an object, named by the module's path
// (`{ "src/docker/reader.ts"() {...} }`), and esbuild's helpers (__esm, __commonJS) find it with
// Object.getOwnPropertyNames, which they take from the global when the bundle starts, after this.
const ownNames = Object.getOwnPropertyNames;
Object.getOwnPropertyNames = (object) => {
  const names = ownNames(object);
  if (names.length === 1 && /[\\/]/.test(names[0]) && typeof object[names[0]] === 'function') note(`bundled ${names[0]}`);
  return names;
};

const Segmenter = Intl.Segmenter;
Intl.Segmenter = class extends Segmenter {
  constructor(...args) {
    super(...args);
    note('segmenter');
  }
};
