// The form's host guess must name what the server stores when the host fields are left empty.
import { describe, expect, it } from 'vitest';
import { guessHost as serverGuess } from '../../../../src/orchestrator/project-delivery';
import { guessHost } from './host-fields';

const urls = [
  'https://github.com/owner/app.git',
  'git@github.com:owner/app.git',
  'ssh://git@github.com/owner/app',
  'https://GitHub.com/owner/app/',
  'https://gitlab.com/group/sub/app.git',
  'https://git.example.com/owner/app.git',
  'https://github.com/app.git',
  'http://127.0.0.1:3000/git/acme/math.git',
  'not a url',
];

describe("the project form's host guess", () => {
  it.each(urls)('agrees with the server for %s', (url) => {
    const server = serverGuess(url);
    const expected = server && {
      kind: server.hostKind,
      apiUrl: server.hostApiUrl,
      repository: server.hostRepository,
    };
    expect(guessHost(url)).toEqual(expected);
  });

  it('fills GitHub from a github.com URL', () => {
    expect(guessHost('https://github.com/owner/app.git')).toEqual({
      kind: 'github',
      apiUrl: 'https://api.github.com',
      repository: 'owner/app',
    });
  });
});
