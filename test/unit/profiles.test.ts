// Profiles, as Compose has them: a service with `profiles:` runs only when one of them is active
// (--profile, SCS_PROFILES from the environment or .env) or it is named; one without runs always; a
// service that runs and requires one left out is refused in one sentence.

import { join } from 'node:path';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ControlRequestSchema } from '../../src/agent/control.ts';
import { compileStack, readStack } from '../../src/agent/stack-files.ts';
import { loadStack } from '../../src/manifest/load.ts';
import { parseProfiles, withProfiles } from '../../src/manifest/profiles.ts';
import { project } from '../helpers/project.ts';

const stack = [
  'name: shop',
  'services:',
  '  web:',
  '    image: ./x',
  '  debugtool:',
  '    image: ./x',
  '    profiles: [debug]',
  '  admin:',
  '    image: ./x',
  '    profiles: [tools, Debug]',
  '  report:',
  '    image: ./y',
  '    profiles: [reports]',
  '    requires:',
  '      http: { service: admin }',
  '',
].join('\n');

function at(more: Record<string, string> = {}) {
  const dir = project({
    'scs-stack.yaml': stack,
    'x/scs.yaml': 'from: x\nprovides:\n  http: { port: 80 }\n',
    'y/scs.yaml': 'from: x\nrequires:\n  http:\n',
    ...more,
  });
  return { dir, file: join(dir, 'scs-stack.yaml') };
}
const names = (services: object) => Object.keys(services).sort();

describe('profiles', () => {
  it('runs a service without profiles always, one with profiles when one is active', () => {
    const loaded = loadStack([at().file], { environment: {} });
    expect(loaded.stack.services.admin!.profiles).toEqual(['tools', 'debug']);
    expect(names(withProfiles(loaded, []).stack.services)).toEqual(['web']);
    expect(names(withProfiles(loaded, ['debug']).stack.services)).toEqual(['admin', 'debugtool', 'web']);
    expect(names(withProfiles(loaded, ['tools']).stack.services)).toEqual(['admin', 'web']);
    expect(names(withProfiles(loaded, ['nothing']).stack.services)).toEqual(['web']);
    expect(names(withProfiles(loaded, ['*']).stack.services)).toEqual(['admin', 'debugtool', 'report', 'web']);
  });

  it('runs a service named on the command line whatever its profiles', () => {
    const loaded = loadStack([at().file], { environment: {} });
    expect(names(withProfiles(loaded, [], ['DebugTool']).stack.services)).toEqual(['debugtool', 'web']);
    expect(names(withProfiles(loaded, [], ['report', 'admin']).stack.services)).toEqual(['admin', 'report', 'web']);
  });

  it('refuses a service that runs and requires one its profile leaves out, naming both and the profile', () => {
    const { file } = at();
    const loaded = loadStack([file], { environment: {} });
    expect(() => withProfiles(loaded, ['reports'])).toThrow(
      `${file}:15 services.report.requires.http: report requires admin, which runs only with the profiles tools or debug: give --profile tools (or SCS_PROFILES=tools), or name admin too`,
    );
    expect(() => withProfiles(loaded, [], ['report'])).toThrow('report requires admin');
    expect(names(withProfiles(loaded, ['reports', 'tools']).stack.services)).toEqual(['admin', 'report', 'web']);
  });

  it('reads a comma-separated list', () => {
    expect(parseProfiles(' debug, Tools,,')).toEqual(['debug', 'tools']);
    expect(parseProfiles('')).toEqual([]);
  });

  it('takes --profile, else SCS_PROFILES from the environment, else from .env', () => {
    const { file } = at({ '.env': 'SCS_PROFILES=tools\n' });
    expect(names(readStack({ file, variables: {} }).stack.stack.services)).toEqual(['admin', 'web']);
    expect(names(readStack({ file, variables: { SCS_PROFILES: 'debug,reports' } }).stack.stack.services)).toEqual([
      'admin',
      'debugtool',
      'report',
      'web',
    ]);
    const given = readStack({ file, variables: { SCS_PROFILES: 'debug' }, profile: ['reports', 'tools'] });
    expect(given.profiles).toEqual(['reports', 'tools']);
    expect(names(given.stack.stack.services)).toEqual(['admin', 'report', 'web']);
    expect(readStack({ file, variables: {}, profile: 'a,b' }).profiles).toEqual(['a', 'b']);
    expect(() => readStack({ file, variables: {}, profile: 'no good' })).toThrow(
      '--profile: expected a profile name like "debug", not "no good"',
    );
  });

  it('leaves the services that do not run out of the compiled stack', () => {
    const { file } = at();
    const compiled = compileStack({ file, variables: {}, profile: 'debug', named: ['report'] }, { hashImages: false });
    expect(compiled.services.map((s) => s.name).sort()).toEqual(['admin', 'debugtool', 'report', 'web']);
    expect(compileStack({ file, variables: {} }, { hashImages: false }).services.map((s) => s.name)).toEqual(['web']);
  });

  it('is told to a running agent with the variables, bounded, and left out when there is none', () => {
    const request = { op: 'up', files: ['/s/scs-stack.yaml'], services: [] };
    expect(v.is(ControlRequestSchema, request)).toBe(true);
    expect(v.is(ControlRequestSchema, { ...request, profiles: ['debug'], variables: { TAG: '1.2' } })).toBe(true);
    const many = Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`V${i}`, 'x']));
    expect(v.is(ControlRequestSchema, { ...request, variables: many })).toBe(false);
    expect(v.is(ControlRequestSchema, { ...request, profiles: 'debug' })).toBe(false);
  });
});
