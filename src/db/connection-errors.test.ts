import { describe, expect, it } from 'vitest';
import { isConnectionError } from './connection-errors.js';

describe('isConnectionError', () => {
  it('recognizes refused sockets, server shutdowns and dropped connections, also when wrapped', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    const shutdown = Object.assign(
      new Error('terminating connection due to administrator command'),
      {
        code: '57P01',
      },
    );
    const wrapped = new Error('Failed query: SELECT 1', {
      cause: new Error('Connection terminated unexpectedly'),
    });
    expect([refused, shutdown, wrapped].map(isConnectionError)).toEqual([true, true, true]);
  });

  it('leaves query errors and everything else alone', () => {
    const uniqueViolation = Object.assign(new Error('duplicate key value'), { code: '23505' });
    const ended = new Error('Cannot use a pool after calling end on the pool');
    expect([uniqueViolation, ended, 'text', null].map(isConnectionError)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
