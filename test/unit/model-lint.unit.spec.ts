import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lintModel, type LintProblem } from '../../platform/engine/model-lint.js';
import type { LintContext } from '../../modeler/lint/rules.js';
import { KNOWN_GROUPS } from '../../domain/access/roles.js';
import { WORKERS } from '../../workers/registry.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const CTX: LintContext = {
  taskTypes: ['book-slot', 'send-sms'],
  formIds: ['cup-choose-slot'],
  groups: ['cup-operators', 'cup-back-office'],
  templates: ['cup-booking-confirmation'],
};

function model(body: string, process = 'isExecutable="true" camunda:historyTimeToLive="180"'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="p" ${process}>${body}</bpmn:process>
</bpmn:definitions>`;
}

const found = (problems: LintProblem[], category: LintProblem['category'] = 'error') =>
  problems
    .filter((p) => p.category === category)
    .map((p) => `${p.element}:${p.rule.replace(/^contact-center\//, '')}`)
    .sort();

describe('the platform’s model rules', () => {
  it('finds nothing wrong in a model that follows the conventions', async () => {
    const problems = await lintModel(
      model(`<bpmn:serviceTask id="s" camunda:type="external" camunda:topic="send-sms">
          <bpmn:extensionElements><camunda:properties><camunda:property name="template" value="cup-booking-confirmation" />
          </camunda:properties></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:userTask id="u" camunda:formRef="cup-choose-slot" camunda:formRefBinding="latest" camunda:candidateGroups="cup-operators, cup-back-office" />
        <bpmn:endEvent id="e"><bpmn:messageEventDefinition id="m" camunda:type="external" camunda:topic="book-slot" /></bpmn:endEvent>
        <bpmn:endEvent id="plain"><bpmn:messageEventDefinition id="m2" /></bpmn:endEvent>`),
      CTX,
    );
    expect(problems).toEqual([]);
  });

  it('finds a topic without a worker, an external task without a topic and a template that does not exist', async () => {
    const problems = await lintModel(
      model(`<bpmn:serviceTask id="s" camunda:type="external" camunda:topic="send-fax">
          <bpmn:extensionElements><camunda:properties><camunda:property name="template" value="missing" />
          </camunda:properties></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:sendTask id="no-topic" camunda:type="external" />
        <bpmn:intermediateThrowEvent id="t"><bpmn:messageEventDefinition id="m" camunda:type="external" camunda:topic="notify" /></bpmn:intermediateThrowEvent>
        <bpmn:serviceTask id="juel" camunda:type="external" camunda:topic="\${topic}" />`),
      CTX,
    );
    expect(found(problems)).toEqual([
      'no-topic:service-task-has-worker',
      's:service-task-has-worker',
      's:template-exists',
      't:service-task-has-worker',
    ]);
    expect(problems.find((p) => p.element === 's' && p.rule.endsWith('has-worker'))?.message).toMatch(/send-fax/);
    expect(problems.find((p) => p.element === 's' && p.rule.endsWith('template-exists'))?.message).toMatch(/missing/);
  });

  it('refuses service, send and business-rule tasks without an implementation, and warns about the non-external ones', async () => {
    const problems = await lintModel(
      model(`<bpmn:serviceTask id="bare-service" /><bpmn:sendTask id="bare-send" /><bpmn:businessRuleTask id="bare-rule" />
        <bpmn:serviceTask id="java" camunda:class="it.example.Delegate" />
        <bpmn:serviceTask id="bean" camunda:delegateExpression="\${delegate}" />
        <bpmn:serviceTask id="connector"><bpmn:extensionElements><camunda:connector><camunda:connectorId>http-connector</camunda:connectorId></camunda:connector></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:businessRuleTask id="dmn" camunda:decisionRef="priority" />
        <bpmn:scriptTask id="script" scriptFormat="javascript"><bpmn:script>1</bpmn:script></bpmn:scriptTask>`),
      CTX,
    );
    expect(found(problems)).toEqual([
      'bare-rule:service-task-has-implementation',
      'bare-send:service-task-has-implementation',
      'bare-service:service-task-has-implementation',
    ]);
    expect(found(problems, 'warn')).toEqual([
      'bean:service-task-is-external',
      'connector:service-task-is-external',
      'java:service-task-is-external',
    ]);
  });

  it('wants every user task to have a deployed form and known candidate groups', async () => {
    const problems = await lintModel(
      model(`<bpmn:userTask id="u" camunda:formRef="not-deployed" camunda:candidateGroups="cup-operators, marketing" />
        <bpmn:userTask id="bare" />
        <bpmn:userTask id="embedded" camunda:formKey="embedded:app:forms/x.html" camunda:candidateGroups=" , " />
        <bpmn:userTask id="juel" camunda:formRef="\${form}" camunda:candidateGroups="\${groups}" />`),
      CTX,
    );
    expect(found(problems)).toEqual([
      'bare:user-task-has-candidate-group',
      'bare:user-task-has-form',
      'embedded:user-task-has-candidate-group',
      'embedded:user-task-has-form',
      'u:user-task-has-candidate-group',
      'u:user-task-has-form',
    ]);
    expect(problems.find((p) => p.element === 'u' && p.rule.endsWith('has-form'))?.message).toMatch(/not-deployed/);
    expect(problems.find((p) => p.element === 'u' && p.rule.endsWith('candidate-group'))?.message).toMatch(
      /«marketing»/,
    );
  });

  it('refuses an executable process without a history time to live', async () => {
    expect(found(await lintModel(model('<bpmn:startEvent id="s" />', 'isExecutable="true"'), CTX))).toEqual([
      'p:process-has-history-time-to-live',
    ]);
    expect(await lintModel(model('<bpmn:startEvent id="s" />', 'isExecutable="false"'), CTX)).toEqual([]);
  });

  it('keeps an IVR step answering at once: the wait right after it, nothing slow between an answer and the next step', async () => {
    const step = (id: string, prompt: string, extra = '') => `<bpmn:intermediateThrowEvent id="${id}"${extra}>
        <bpmn:extensionElements><camunda:inputOutput>
          <camunda:outputParameter name="ivrAction">menu</camunda:outputParameter>
          <camunda:outputParameter name="ivrPrompt">${prompt}</camunda:outputParameter>
          <camunda:outputParameter name="ivrNotice"></camunda:outputParameter>
        </camunda:inputOutput></bpmn:extensionElements></bpmn:intermediateThrowEvent>`;
    const ctx = { ...CTX, templates: [...CTX.templates, 'cup-menu'] };
    const flow = (id: string, from: string, to: string) =>
      `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;
    const message = '<bpmn:message id="msg" name="ivr-input" />';
    const wrap = (body: string) => model(body).replace('<bpmn:process', `${message}<bpmn:process`);
    const good = await lintModel(
      wrap(`${step('menu', 'cup-menu')}<bpmn:receiveTask id="answer" messageRef="msg" />
        <bpmn:exclusiveGateway id="choice" />${step('again', 'cup-menu')}<bpmn:receiveTask id="answer2" messageRef="msg" />
        ${flow('f1', 'menu', 'answer')}${flow('f2', 'answer', 'choice')}${flow('f3', 'choice', 'again')}${flow('f4', 'again', 'answer2')}`),
      ctx,
    );
    expect(found(good)).toEqual([]);
    const slow = await lintModel(
      wrap(`${step('menu', 'cup-menu')}<bpmn:serviceTask id="lookup" camunda:type="external" camunda:topic="book-slot" />
        <bpmn:receiveTask id="answer" messageRef="msg" />${step('next', 'no-such-prompt')}
        <bpmn:userTask id="u" camunda:formRef="cup-choose-slot" camunda:candidateGroups="cup-operators" />
        <bpmn:serviceTask id="between" camunda:type="external" camunda:topic="send-sms" />
        ${step('async', 'cup-menu', ' camunda:asyncBefore="true"')}<bpmn:receiveTask id="answer3" messageRef="msg" />
        ${flow('f1', 'menu', 'lookup')}${flow('f2', 'answer', 'between')}${flow('f3', 'between', 'next')}${flow('f4', 'next', 'u')}
        ${flow('f5', 'async', 'answer3')}`),
      ctx,
    );
    expect(found(slow).filter((p) => p.includes('ivr-step'))).toEqual([
      'answer:ivr-step-answers-at-once',
      'async:ivr-step-answers-at-once',
      'menu:ivr-step-answers-at-once',
      'next:ivr-step-answers-at-once',
    ]);
    expect(slow.find((p) => p.element === 'next')?.message).toMatch(/no-such-prompt/);

    // The operator's answer too, and across a subprocess's end.
    const answered = '<bpmn:message id="ans" name="call-answered" />';
    const viaSubprocess = await lintModel(
      model(`<bpmn:subProcess id="sub"><bpmn:intermediateCatchEvent id="took"><bpmn:messageEventDefinition id="md" messageRef="ans" /></bpmn:intermediateCatchEvent>
          <bpmn:endEvent id="subEnd" />${flow('s1', 'took', 'subEnd')}</bpmn:subProcess>
        <bpmn:serviceTask id="slowLookup" camunda:type="external" camunda:topic="send-sms" />
        ${step('connect', 'cup-menu')}<bpmn:receiveTask id="after" messageRef="msg" />
        ${flow('f1', 'sub', 'slowLookup')}${flow('f2', 'slowLookup', 'connect')}${flow('f3', 'connect', 'after')}`).replace(
        '<bpmn:process',
        `${message}${answered}<bpmn:process`,
      ),
      ctx,
    );
    expect(found(viaSubprocess).filter((p) => p.includes('ivr-step'))).toEqual(['took:ivr-step-answers-at-once']);
  });

  it('reports a document that is not BPMN', async () => {
    expect(await lintModel('<not-bpmn', CTX)).toEqual([expect.objectContaining({ rule: 'xml', category: 'error' })]);
  });

  it('finds nothing wrong in the repository’s processes with the real context', async () => {
    const dir = path.join(PROJECT_ROOT, 'processes');
    const ctx: LintContext = {
      taskTypes: WORKERS.map((w) => w.taskType),
      formIds: readdirSync(dir)
        .filter((f) => f.endsWith('.form'))
        .map((f) => (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { id: string }).id),
      groups: KNOWN_GROUPS,
      templates: ['sms', 'email', 'voice'].flatMap((kind) =>
        readdirSync(path.join(PROJECT_ROOT, 'templates', kind))
          .filter((f) => f.endsWith('.hbs'))
          .map((f) => f.replace(/\.hbs$/, '')),
      ),
    };
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.bpmn'))) {
      const problems = await lintModel(readFileSync(path.join(dir, file), 'utf8'), ctx);
      expect(problems, file).toEqual([]);
    }
  });
});
