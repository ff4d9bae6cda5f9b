/**
 * The engine the models and forms are for: Operaton 1.0, the community fork of Camunda 7,
 * named as Camunda 7.23 (bpmnlint-plugin-camunda-compat knows 7.19 to 7.24; .bpmnlintrc uses
 * the same). Camunda Modeler and Camunda's linter read it from a model's `modeler:` attributes
 * and from a form's schema.
 */
export const EXECUTION_PLATFORM = 'Camunda Platform';
export const EXECUTION_PLATFORM_VERSION = '7.23.0';

/** The namespace of the `modeler:` attributes on a BPMN document's definitions. */
export const MODELER_NS = 'http://camunda.org/schema/modeler/1.0';
