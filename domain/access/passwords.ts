import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (memory-hard, in Node's own crypto: no native add-on to
 * build). The stored form carries its parameters, so they can be raised later and old
 * hashes still verify: `scrypt$N$r$p$salt$hash` (base64url).
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 64;

function derive(password: string, salt: Buffer, o: ScryptOptions, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, length, { ...o, maxmem: 256 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS, KEY_LENGTH);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: +n, r: +r, p: +p }, expected.length);
  return timingSafeEqual(key, expected);
}

/** Rules a new password must meet (AgID's minimum for accounts without a second factor). */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 10) return 'La password deve avere almeno 10 caratteri.';
  if (password.length > 200) return 'La password è troppo lunga.';
  if (!/[a-zA-Z]/.test(password) || !/\d/.test(password)) return 'La password deve contenere lettere e cifre.';
  return undefined;
}

/** A random password a person can type (demo accounts, resets): 14 characters in two groups. */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  for (;;) {
    let out = '';
    for (const b of randomBytes(14)) out += alphabet[b % alphabet.length];
    const password = `${out.slice(0, 7)}-${out.slice(7)}`;
    if (!passwordProblem(password)) return password;
  }
}
