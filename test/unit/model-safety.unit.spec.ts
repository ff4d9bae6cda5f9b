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
});
