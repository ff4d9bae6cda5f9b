import { describe, expect, it } from 'vitest';
import { safeReturnPath } from '../../api/auth/oidc.js';

const BASE = 'https://cc.regione.basilicata.it';

describe('the page a single sign-on returns to', () => {
  it('is a path of this site', () => {
    expect(safeReturnPath('/compiti', BASE)).toBe('/compiti');
    expect(safeReturnPath('/istanze/42?stato=aperte#variabili', BASE)).toBe('/istanze/42?stato=aperte#variabili');
    expect(safeReturnPath('/a/../compiti', BASE)).toBe('/compiti');
    // An encoded slash or backslash stays part of a path: the browser does not decode it.
    expect(safeReturnPath('/%2F%2Fevil.com', BASE)).toBe('/%2F%2Fevil.com');
    expect(safeReturnPath('/%5Cevil.com', BASE)).toBe('/%5Cevil.com');
  });

  it('is never another site, however the address is dressed up', () => {
    const nasty = [
      '/\\evil.com', // browsers read `\` as `/`: //evil.com
      '/\\/evil.com',
      '\\\\evil.com',
      '//evil.com',
      '///evil.com',
      '/\t/evil.com', // tabs and newlines are dropped by the URL parser
      '/\n/evil.com',
      '/\r\n/evil.com',
      ' //evil.com',
      '/..//evil.com', // dot segments that leave `//evil.com`
      '/.//evil.com',
      'https://evil.com/',
      'http:evil.com',
      'javascript:alert(1)',
      'evil.com',
      '',
    ];
    for (const to of nasty) expect(safeReturnPath(to, BASE), JSON.stringify(to)).toBe('/');
    expect(safeReturnPath(undefined, BASE)).toBe('/');
    expect(safeReturnPath(['/compiti', '//evil.com'], BASE)).toBe('/');
  });
});
