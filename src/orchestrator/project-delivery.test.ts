import { describe, expect, it } from 'vitest';
import { CadreError } from '../errors/index.js';
import { checkDelivery, guessHost } from './project-delivery.js';

describe('guessHost', () => {
  it('names github.com and gitlab.com repositories from https and ssh URLs', () => {
    const github = {
      hostKind: 'github',
      hostApiUrl: 'https://api.github.com',
      hostRepository: 'owner/app',
    };
    expect(guessHost('https://github.com/owner/app.git')).toEqual(github);
    expect(guessHost('git@github.com:owner/app.git')).toEqual(github);
    expect(guessHost('ssh://git@github.com/owner/app')).toEqual(github);
    expect(guessHost('https://gitlab.com/group/sub/app.git')).toEqual({
      hostKind: 'gitlab',
      hostApiUrl: 'https://gitlab.com/api/v4',
      hostRepository: 'group/sub/app',
    });
  });

  it('guesses nothing for other hosts or a URL without owner/name', () => {
    expect(guessHost('https://git.example.com/owner/app.git')).toBeNull();
    expect(guessHost('https://github.com/app.git')).toBeNull();
    expect(guessHost('not a url')).toBeNull();
  });
});

describe('checkDelivery', () => {
  const settings = {
    remoteUrl: 'https://git.example.com/team/app.git',
    deliveryMode: 'local' as const,
    pushBranch: null,
    hostKind: null,
    hostApiUrl: null,
    hostRepository: null,
  };
  const refusal = (run: () => void) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(CadreError);
      return (error as CadreError).message;
    }
    return null;
  };

  it('needs a credential to push, and the host and its token for pull requests', () => {
    expect(refusal(() => checkDelivery(settings, []))).toBeNull();
    expect(refusal(() => checkDelivery({ ...settings, deliveryMode: 'push' }, []))).toContain(
      'credential',
    );
    expect(
      refusal(() => checkDelivery({ ...settings, deliveryMode: 'push' }, ['ssh-key'])),
    ).toBeNull();
    const pullRequest = { ...settings, deliveryMode: 'pull-request' as const };
    expect(refusal(() => checkDelivery(pullRequest, ['host-token']))).toContain(
      'hostKind, hostApiUrl, hostRepository',
    );
    const withHost = {
      ...pullRequest,
      hostKind: 'gitea' as const,
      hostApiUrl: 'https://git.example.com/api/v1',
      hostRepository: 'team/app',
    };
    expect(refusal(() => checkDelivery(withHost, []))).toContain('hostToken');
    expect(refusal(() => checkDelivery(withHost, ['host-token']))).toBeNull();
    expect(
      refusal(() => checkDelivery({ ...withHost, remoteUrl: null }, ['host-token'])),
    ).toContain('repository URL');
  });
});
