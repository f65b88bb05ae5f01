import { describe, expect, it } from 'vitest';
import { lexicalAgreement, readChoice } from './experts.js';

describe('reading an expert vote', () => {
  it('takes the first line when it is a choice, else the first choice named', () => {
    const choices = ['PostgreSQL', 'Redis'];
    expect(readChoice('**Redis**\nbecause it is fast', choices)).toBe('Redis');
    expect(readChoice('I would pick postgresql over Redis.', choices)).toBe('PostgreSQL');
    expect(readChoice('Neither.', choices)).toBeNull();
  });
});

describe('lexical agreement', () => {
  it('is 1 for the same words and falls as answers diverge', () => {
    expect(lexicalAgreement(['Use Postgres.', 'use postgres'])).toBe(1);
    expect(lexicalAgreement(['alpha beta', 'gamma delta'])).toBe(0);
    expect(lexicalAgreement(['a b', 'a c'])).toBeCloseTo(1 / 3, 10);
  });
});
