import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unsafeConstructs, unsafeExpression } from '../../domain/processes/model-safety.js';

const PROCESSES = path.resolve(import.meta.dirname, '..', '..', 'processes');

describe('what a deployed model may make the engine run', () => {
  it('lets every process of the repository through', () => {
    for (const f of readdirSync(PROCESSES).filter((n) => n.endsWith('.bpmn'))) {
      expect(unsafeConstructs(readFileSync(path.join(PROCESSES, f), 'utf8')), f).toEqual([]);
    }
  });

  it('accepts expressions that only read variables', () => {
    for (const ok of [
      'beyondPriorityLimit == true',
      `execution.getVariable('slotId') != null && escalationOutcome == "book"`,
      'plan.days.size() > 0 || empty packages',
      'loopCounter + 1',
      `note == "getClass() in a text is only text"`,
    ]) {
      expect(unsafeExpression(ok), ok).toBeUndefined();
    }
  });

  it('refuses method calls, class access and the engine behind execution', () => {
    for (const bad of [
      `"".getClass().forName("java.lang.Runtime")`,
      `execution.getProcessEngineServices().getRuntimeService()`,
      `execution.setVariable('x', 1)`,
      `x.class`,
      `dataSource.getConnection()`,
      `task.delete()`,
    ]) {
      expect(unsafeExpression(bad), bad).toBeDefined();
    }
  });

  it('refuses scripts, Java classes, listeners and connectors, and finds expressions in attributes and texts', () => {
    const model = (inner: string) =>
      `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"><bpmn:process id="p">${inner}</bpmn:process></bpmn:definitions>`;
    expect(unsafeConstructs(model('<bpmn:scriptTask id="s" scriptFormat="groovy" />'))).toHaveLength(1);
    expect(unsafeConstructs(model('<bpmn:serviceTask id="t" camunda:class="x.Y" />'))).toHaveLength(1);
    expect(
      unsafeConstructs(model('<bpmn:serviceTask id="t" camunda:expression="${1}" />')).map((p) => p.message),
    ).toEqual([expect.stringMatching(/Java o per espressione/)]);
    expect(
      unsafeConstructs(
        model('<bpmn:extensionElements><camunda:executionListener event="end" class="x.Y" /></bpmn:extensionElements>'),
      ),
    ).toHaveLength(1);
    const inCondition = unsafeConstructs(
      model(
        '<bpmn:sequenceFlow id="f"><bpmn:conditionExpression>${&quot;&quot;.getClass() != null}</bpmn:conditionExpression></bpmn:sequenceFlow>',
      ),
    );
    expect(inCondition).toHaveLength(1);
    expect(inCondition[0]?.message).toMatch(/getClass/);
    expect(unsafeConstructs(model('<bpmn:userTask id="u" camunda:assignee="#{execution.getId()}" />'))).toHaveLength(1);
  });

  it('refuses a call activity pinned to a version of the called process: its needs are those of the newest', () => {
    const call = (attrs: string, ns = 'camunda') =>
      `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:${ns}="http://camunda.org/schema/1.0/bpmn"><bpmn:process id="p"><bpmn:callActivity id="c" calledElement="cup-cancellation" ${attrs} /></bpmn:process></bpmn:definitions>`;
    for (const pinned of [
      'camunda:calledElementBinding="version" camunda:calledElementVersion="1"',
      'camunda:calledElementBinding=\'versionTag\' camunda:calledElementVersionTag="v1"',
      'camunda:calledElementBinding="deployment"',
      'camunda:calledElementBinding = "Version"',
    ]) {
      const problems = unsafeConstructs(call(pinned));
      expect(problems, pinned).toHaveLength(1);
      expect(problems[0]?.message, pinned).toMatch(/ultima versione/);
    }
    // Whatever the prefix of Camunda's namespace.
    expect(unsafeConstructs(call('c:calledElementBinding="version"', 'c'))).toHaveLength(1);
    expect(unsafeConstructs(call(''))).toEqual([]);
    expect(unsafeConstructs(call('camunda:calledElementBinding="latest"'))).toEqual([]);
  });

  it('refuses Java classes, listeners and scripts under any prefix of Camunda’s namespace', () => {
    const model = (inner: string) =>
      `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:x="http://camunda.org/schema/1.0/bpmn"><bpmn:process id="p">${inner}</bpmn:process></bpmn:definitions>`;
    expect(unsafeConstructs(model('<bpmn:serviceTask id="t" x:class="x.Y" />'))).toHaveLength(1);
    expect(
      unsafeConstructs(model('<bpmn:callActivity id="c" calledElement="q" x:variableMappingClass="x.Y" />')),
    ).toHaveLength(1);
    expect(
      unsafeConstructs(
        model(
          '<bpmn:serviceTask id="t" x:type="external" x:topic="a"><bpmn:extensionElements><x:inputOutput><x:inputParameter name="a"><x:script scriptFormat="javascript">1</x:script></x:inputParameter></x:inputOutput></bpmn:extensionElements></bpmn:serviceTask>',
        ),
      ),
    ).toHaveLength(1);
    expect(
      unsafeConstructs(
        model(
          '<bpmn:extensionElements><executionListener xmlns="http://camunda.org/schema/1.0/bpmn" event="end" class="x.Y" /></bpmn:extensionElements>',
        ),
      ),
    ).toHaveLength(1);
    // An entity would expand, in the engine's parser, to what the text checks never see.
    const entity = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "&#60;x:script&#62;1&#60;/x:script&#62;">]>${model('<bpmn:serviceTask id="t"><bpmn:extensionElements>&e;</bpmn:extensionElements></bpmn:serviceTask>')}`;
    expect(unsafeConstructs(entity).map((p) => p.message)).toEqual([expect.stringMatching(/DOCTYPE/)]);
  });
});
