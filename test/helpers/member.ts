// A member record as an agent on the harness's h1 would state it, for tests to vary.

import type { MemberRecord } from '../../src/protocol/member.ts';

export const record = (over: Partial<MemberRecord> = {}): MemberRecord => ({
  host: 'h1',
  project: 'h1',
  address: '10.201.1.11',
  stack: 'blog',
  environment: 'prod',
  attrs: { dc: 'dc-a', az: 'a' },
  version: '0.3.0',
  phase: 'running',
  services: [
    {
      service: 'web',
      state: 'running',
      health: 'healthy',
      provides: [{ name: 'http.web.blog.prod', address: '10.201.1.11:32768' }],
      requires: [{ endpoint: 'db', name: 'mysql.db.blog.prod', applied: ['10.201.1.13:3306'], current: ['10.201.1.13:3306'] }],
    },
  ],
  ...over,
});
