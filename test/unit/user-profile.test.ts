import { describe, expect, it } from 'vitest';
import {
  InvalidEmail,
  InvalidPassword,
  InvalidPhone,
  InvalidUsername,
} from '../../src/domain/errors.ts';
import {
  parseEmail,
  parsePassword,
  parsePhone,
  parseRegistration,
  parseUsername,
} from '../../src/domain/user-profile.ts';

describe('username', () => {
  it.each(['abc', 'Alice_01', 'a'.repeat(32)])('accepts %s', (name) => {
    expect(parseUsername(name)).toBe(name);
  });
  it.each(['ab', 'a'.repeat(33), 'bad name', '名字abc', 'a-b-c', '', 42, null])(
    'refuses %s',
    (name) => {
      expect(() => parseUsername(name)).toThrow(InvalidUsername);
    },
  );
});

describe('password', () => {
  it('counts Unicode code points, not UTF-16 units', () => {
    expect(parsePassword('😀'.repeat(8))).toHaveLength(16);
    expect(() => parsePassword('😀'.repeat(7))).toThrow(InvalidPassword);
    expect(parsePassword('密'.repeat(128))).toHaveLength(128);
    expect(() => parsePassword('密'.repeat(129))).toThrow(InvalidPassword);
  });
  it.each(['short', '', 12345678, undefined])('refuses %s', (password) => {
    expect(() => parsePassword(password)).toThrow(InvalidPassword);
  });
});

describe('email', () => {
  it.each(['a@example.com', 'first.last+tag@mail.example.co.uk'])('accepts %s', (email) => {
    expect(parseEmail(email)).toBe(email);
  });
  it.each([
    'plain',
    'a@localhost',
    'a@@example.com',
    'a b@example.com',
    '@example.com',
    'a@example.',
    `${'a'.repeat(250)}@x.cn`,
    'a\u0000b@example.com',
    'a@exam\u0000ple.com',
    'a\u0007@example.com',
    'a\u007f@example.com',
    'a\u0085@example.com',
    'a\u200b@example.com',
    'a@example.com\u202e',
  ])('refuses %j', (email) => {
    expect(() => parseEmail(email)).toThrow(InvalidEmail);
  });
});

describe('phone', () => {
  it('accepts a mainland mobile with spaces and dashes, returned compact', () => {
    expect(parsePhone('138 0013-8000')).toBe('13800138000');
  });
  it('accepts E.164 numbers of 8 to 15 digits', () => {
    expect(parsePhone('+44 20 7946 0958')).toBe('+442079460958');
    expect(parsePhone('+12345678')).toBe('+12345678');
  });
  it.each(['12800138000', '1380013800', '+1234567', '+1234567890123456', '138abc38000', ''])(
    'refuses %s',
    (phone) => {
      expect(() => parsePhone(phone)).toThrow(InvalidPhone);
    },
  );
});

describe('registration', () => {
  const valid = {
    username: 'alice',
    password: 'correct horse',
    email: 'a@b.cn',
    phone: '13800138000',
  };

  it('checks username, then password, then email, then phone', () => {
    const allBad = { username: 'x', password: 'x', email: 'x', phone: 'x' };
    expect(() => parseRegistration(allBad)).toThrow(InvalidUsername);
    expect(() => parseRegistration({ ...allBad, username: 'alice' })).toThrow(InvalidPassword);
    expect(() => parseRegistration({ ...valid, email: 'x', phone: 'x' })).toThrow(InvalidEmail);
    expect(() => parseRegistration({ ...valid, phone: 'x' })).toThrow(InvalidPhone);
  });
  it('returns the normalised form', () => {
    expect(parseRegistration({ ...valid, phone: '138-0013-8000' })).toEqual({
      ...valid,
      phone: '13800138000',
    });
  });
});
