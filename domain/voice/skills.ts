/** Who answers: the queues of the lines, each role's default skills, an operator's softphone identity. */
import type { Role } from '../access/roles.js';

/** The queues of the lines (inbound-call.bpmn sets `ivrQueue` to one of these). */
export const VOICE_QUEUES = ['cup', 'cup-second-level', 'csb', 'tributi'] as const;

/** Which queues each role answers by default: the CUP's front office, the help desk's, supervisors all. */
const SKILLS: Partial<Record<Role, readonly string[]>> = {
  operator: ['cup', 'cup-second-level'],
  'helpdesk-operator': ['csb', 'tributi'],
  supervisor: VOICE_QUEUES,
};

/** An operator's skills when they first go available (kept per operator afterwards). */
export function skillsOf(roles: readonly string[]): string[] {
  return [...new Set(roles.flatMap((r) => SKILLS[r as Role] ?? []))].sort();
}

/** The softphone client an operator registers as: letters, digits and `_` only (Twilio's advice). */
export function clientIdentity(username: string): string {
  return username.replace(/[^A-Za-z0-9_]/g, '_');
}
