import { describe, expect, test } from 'vitest';
import { verdictOfClose } from '../src/api/tokenCheck';

describe('token verification', () => {
  test("the server's refusal names the token (close 1002)", () => {
    expect(verdictOfClose({ code: 1002, reason: 'this server needs a token: send `{"Authorization": "Bearer <token>"}` in connection_init' })).toBe('refused');
    expect(verdictOfClose({ code: 4403, reason: 'Forbidden' })).toBe('refused');
  });

  test('a socket that could not open is an unreachable server, not a refused token', () => {
    expect(verdictOfClose({ code: 1006, reason: '' })).toBe('unreachable');
    expect(verdictOfClose(null)).toBe('unreachable');
  });
});
