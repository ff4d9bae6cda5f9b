/**
 * A timer probe process: a timer of `duration` (ISO 8601, or an expression such as `${delay}`),
 * then an external task on `topic`. How many tasks an instance reaches says how often its
 * timer fired (the cluster test, the fault benchmark).
 */
export function timerProbeBpmn(processId: string, topic: string, duration: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="${processId}-definitions" targetNamespace="http://regione.basilicata.it/test">
  <bpmn:process id="${processId}" isExecutable="true" camunda:historyTimeToLive="P1D">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:timeDuration>${duration}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="probe" />
    <bpmn:serviceTask id="probe" camunda:type="external" camunda:topic="${topic}" />
    <bpmn:sequenceFlow id="f3" sourceRef="probe" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;
}
