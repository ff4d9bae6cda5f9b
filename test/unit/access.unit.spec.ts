import { describe, expect, it } from 'vitest';
import { groupsOf, KNOWN_GROUPS, permissionsOf, ROLES } from '../../domain/access/roles.js';
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from '../../domain/access/passwords.js';
import { maskPersonal } from '../../domain/access/personal-data.js';
import { rolesFromClaims } from '../../api/auth/oidc.js';

describe('roles and permissions', () => {
  it('gives the Regione read-only permissions: no work on tasks, no deploy, no personal data', () => {
    const p = permissionsOf(['regione']);
    // Reading tickets is reading records, as instances are; never working them.
    expect(p).toEqual(expect.arrayContaining(['instances:view', 'models:view', 'tasks:view-all', 'tickets:view']));
    for (const forbidden of [
      'tasks:work',
      'models:deploy',
      'personal:read',
      'helpdesk:manage',
      'helpdesk:contact',
    ] as const) {
      expect(p).not.toContain(forbidden);
    }
  });

  it('lets only analysts deploy, and only administrators manage accounts', () => {
    for (const role of ROLES) {
      expect(permissionsOf([role]).includes('models:deploy'), role).toBe(role === 'analyst');
      expect(permissionsOf([role]).includes('users:manage'), role).toBe(role === 'admin');
    }
  });

  it('maps roles to the candidate groups of the models; level 2 sees level 1’s queue', () => {
    expect(groupsOf(['operator'])).toEqual(['cup-operators']);
    expect(groupsOf(['back-office-2'])).toEqual(['cup-back-office', 'cup-back-office-2']);
    expect(groupsOf(['helpdesk-back-office-2'])).toEqual(['helpdesk-back-office', 'helpdesk-back-office-2']);
    expect(groupsOf(['analyst', 'regione'])).toEqual([]);
    expect(KNOWN_GROUPS).toEqual([
      'cup-back-office',
      'cup-back-office-2',
      'cup-operators',
      'helpdesk-back-office',
      'helpdesk-back-office-2',
      'helpdesk-operators',
      'helpdesk-third-level',
    ]);
  });
});

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one; each hash has its own salt', async () => {
    const a = await hashPassword('Corretta-password-1');
    const b = await hashPassword('Corretta-password-1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('Corretta-password-1', a)).toBe(true);
    expect(await verifyPassword('corretta-password-1', a)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });

  it('asks for 10 characters with letters and digits, and generates passwords that meet the rule', () => {
    expect(passwordProblem('corta1')).toMatch(/almeno 10/);
    expect(passwordProblem('soloLettereQui')).toMatch(/lettere e cifre/);
    expect(passwordProblem('Buona-password-1')).toBeUndefined();
    for (let i = 0; i < 50; i++) expect(passwordProblem(generatePassword())).toBeUndefined();
  });
});

describe('personal data in process variables', () => {
  it('masks names, fiscal codes, phones, patients and prescriptions at any depth, and leaves the rest', () => {
    expect(
      maskPersonal({
        patientId: 'pat-1',
        fiscalCode: 'RSSMRA80A01G942X',
        mobile: '+393331234567',
        prescriptionNre: '170A10123456789',
        serviceCode: '95.02',
        athletes: [{ givenName: 'Anna', familyName: 'Bianchi', slotId: '7' }],
        escalationReason: 'Anagrafica da verificare',
        closingNote: null,
      }),
    ).toEqual({
      patientId: '•••',
      fiscalCode: '•••',
      mobile: '•••',
      prescriptionNre: '•••',
      serviceCode: '95.02',
      athletes: [{ givenName: '•••', familyName: '•••', slotId: '7' }],
      escalationReason: 'Anagrafica da verificare',
      closingNote: null,
    });
  });
});

describe('roles from an OpenID Connect provider', () => {
  const o = { rolesClaim: 'roles', roleMap: { 'cup-fo': 'operator' as const, 'cup-bo': 'back-office-1' as const } };
  it('maps provider groups, accepts our role names as they are, ignores the rest', () => {
    expect(rolesFromClaims({ roles: ['cup-fo', 'analyst', 'dipendenti'] }, o)).toEqual(['operator', 'analyst']);
    expect(rolesFromClaims({ roles: 'cup-bo cup-fo' }, o)).toEqual(['back-office-1', 'operator']);
    expect(rolesFromClaims({}, o)).toEqual([]);
  });
  it('reads a nested claim such as Keycloak’s realm_access.roles', () => {
    expect(
      rolesFromClaims({ realm_access: { roles: ['regione'] } }, { ...o, rolesClaim: 'realm_access.roles' }),
    ).toEqual(['regione']);
  });
});
