import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../app.js';
import { lintModel } from '../../platform/engine/model-lint.js';
import type { LintContext } from '../../domain/processes/lint-rules.js';

const CTX: LintContext = {
  taskTypes: ['book-slot', 'send-sms', 'record-instance-end'],
  formIds: ['cup-choose-slot'],
  groups: ['cup-operators', 'cup-back-office'],
  templates: ['cup-booking-confirmation'],
};

function model(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;
}

describe('the platform’s model rules', () => {
  it('finds a job type without a worker and a template that does not exist', async () => {
    const problems = await lintModel(
      model(`<bpmn:serviceTask id="s"><bpmn:extensionElements><zeebe:taskDefinition type="send-fax" />
        <zeebe:taskHeaders><zeebe:header key="template" value="missing" /></zeebe:taskHeaders></bpmn:extensionElements></bpmn:serviceTask>`),
      CTX,
    );
    expect(problems.filter((p) => p.category === 'error').map((p) => [p.element, p.rule])).toEqual([
      ['s', 'contact-center/service-task-has-worker'],
      ['s', 'contact-center/template-exists'],
    ]);
  });

  it('wants every user task to be a job worker with a deployed form and a known candidate group', async () => {
    const problems = await lintModel(
      model(`<bpmn:userTask id="u"><bpmn:extensionElements><zeebe:userTask />
        <zeebe:formDefinition formId="not-deployed" /><zeebe:assignmentDefinition candidateGroups="cup-operators, marketing" />
        </bpmn:extensionElements></bpmn:userTask><bpmn:userTask id="bare" />`),
      CTX,
    );
    expect(
      problems
        .filter((p) => p.category === 'error')
        .map((p) => `${p.element}:${p.rule}`)
        .sort(),
    ).toEqual([
      'bare:contact-center/user-task-has-candidate-group',
      'bare:contact-center/user-task-has-form',
      'u:contact-center/user-task-has-candidate-group',
      'u:contact-center/user-task-has-form',
      'u:contact-center/user-task-is-job-worker',
    ]);
    expect(problems.find((p) => p.element === 'u' && p.rule.endsWith('has-form'))?.message).toMatch(/not-deployed/);
  });

  it('warns, without blocking, about a process that does not record its end', async () => {
    const problems = await lintModel(model('<bpmn:startEvent id="s" />'), CTX);
    expect(problems).toEqual([
      expect.objectContaining({ element: 'p', rule: 'contact-center/process-records-end', category: 'warn' }),
    ]);
  });

  it('finds nothing wrong in the repository’s cup-booking with the real context', async () => {
    const xml = await readFile(path.join(PROJECT_ROOT, 'processes', 'cup-booking.bpmn'), 'utf8');
    const problems = await lintModel(xml, {
      ...CTX,
      taskTypes: [...CTX.taskTypes, 'check-prescription', 'propose-slots'],
      formIds: ['cup-choose-slot', 'cup-escalation'],
    });
    expect(problems).toEqual([]);
  });
});
