import CamundaModeler from 'camunda-bpmn-js/lib/camunda-platform/Modeler';
import lintingModule from '@camunda/linting/modeler';
import { Linter, type LintReport } from '@camunda/linting';
import StaticResolver from 'bpmnlint/lib/resolver/static-resolver';
import 'camunda-bpmn-js/dist/assets/camunda-platform-modeler.css';
import '@camunda/linting/assets/linting.css';
import { EXECUTION_PLATFORM, EXECUTION_PLATFORM_VERSION, MODELER_NS } from './execution-platform';
import { italianModelerModule } from './i18n/bpmn-italian';
import { LINT_CONFIG, LINT_PLUGIN, lintRules, type LintContext } from './lint/rules';

export type { LintContext, LintReport };

/** A new executable process with only its start event, made for the platform's engine. */
export const newProcessXml = (id: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:modeler="${MODELER_NS}" id="${id}-definitions" targetNamespace="https://regione.basilicata.it/contact-center" modeler:executionPlatform="${EXECUTION_PLATFORM}" modeler:executionPlatformVersion="${EXECUTION_PLATFORM_VERSION}">
  <bpmn:process id="${id}" name="${id}" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:startEvent id="start" name="Inizio" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="${id}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;

interface Viewbox {
  x: number;
  y: number;
  width: number;
  height: number;
  outer: { width: number; height: number };
  inner: { x: number; y: number; width: number; height: number };
}

/** Fits the whole diagram in view, leaving the palette's strip on the left free. */
function fitBesidePalette(modeler: CamundaModeler): void {
  const canvas = modeler.get<{ viewbox(box?: Omit<Viewbox, 'outer' | 'inner'>): Viewbox }>('canvas');
  const { outer, inner } = canvas.viewbox();
  const palette = 110;
  if (inner.width === 0 || outer.width <= palette) return;
  const scale = Math.min(1, (outer.width - palette - 20) / inner.width, (outer.height - 40) / inner.height);
  canvas.viewbox({
    x: inner.x - palette / scale,
    y: inner.y - (outer.height / scale - inner.height) / 2,
    width: outer.width / scale,
    height: outer.height / scale,
  });
}

/**
 * Camunda's linter lints only a model that names its engine: one without (or one made for
 * another engine) is marked as made for ours, so the same rules run as on the server.
 */
function markPlatform(modeler: CamundaModeler): void {
  // The Camunda 7 modeler has no moddle for `modeler:`: its attributes stay generic ($attrs).
  const attrs = (modeler.getDefinitions() as { $attrs: Record<string, string> }).$attrs;
  if (attrs['modeler:executionPlatform'] === EXECUTION_PLATFORM && attrs['modeler:executionPlatformVersion']) return;
  attrs['xmlns:modeler'] ??= MODELER_NS;
  attrs['modeler:executionPlatform'] = EXECUTION_PLATFORM;
  attrs['modeler:executionPlatformVersion'] = EXECUTION_PLATFORM_VERSION;
}

/** Camunda's rules for the engine version plus the platform's own, as @camunda/linting runs them. */
function linterFor(ctx: LintContext): Linter {
  const resolver = new StaticResolver(
    Object.fromEntries(Object.entries(lintRules(ctx)).map(([name, rule]) => [`rule:${LINT_PLUGIN}/${name}`, rule])),
  );
  return new Linter({
    modeler: 'web',
    type: 'platform',
    plugins: [
      {
        // contact-center/process-has-history-time-to-live says it as an error (the engine
        // refuses the model), in Italian: Camunda's own hint would only repeat it.
        config: { rules: { ...LINT_CONFIG.rules, 'camunda-compat/history-time-to-live': 'off' } },
        resolver,
      },
    ],
  });
}

export interface ProcessModelerOptions {
  /** Where the canvas goes. */
  container: HTMLElement;
  /** Where the properties panel goes. */
  propertiesPanel: HTMLElement;
  /** Every change of the diagram, an import's reset of the undo stack included. */
  onChange?: () => void;
  /** The problems found, each time the model is linted (on open, and shortly after each change). */
  onLint?: (reports: LintReport[]) => void;
}

export interface ProcessModeler {
  /** What the platform offers the models (workers, forms, groups, templates): until it is set, nothing is linted. */
  setLintContext(ctx: LintContext): void;
  /** Shows a BPMN document (marked as made for the platform's engine), fits it in view and lints it. */
  open(xml: string): Promise<void>;
  lint(): Promise<void>;
  /** Selects the element of a problem and opens the properties panel's field it names. */
  showProblem(report: LintReport): void;
  /** The diagram as BPMN XML, formatted. */
  saveXml(): Promise<string>;
  destroy(): void;
}

/**
 * The analysts' modeler: camunda-bpmn-js for Camunda 7 (bpmn-js with the `camunda:` properties
 * panel; Operaton reads the same extensions), in Italian, with Camunda's lint rules for the
 * engine version plus the platform's own shown on the canvas.
 */
export function createProcessModeler(options: ProcessModelerOptions): ProcessModeler {
  const modeler = new CamundaModeler({
    container: options.container,
    propertiesPanel: { parent: options.propertiesPanel },
    additionalModules: [lintingModule, italianModelerModule],
    linting: { active: true },
  } as never);
  let linter: Linter | undefined;
  let timer: number | undefined;

  const lint = async () => {
    if (!linter) return;
    const found = await linter.lint(modeler.getDefinitions());
    modeler.get<{ setErrors(r: LintReport[]): void }>('linting').setErrors(found);
    options.onLint?.(found);
  };

  modeler.on('commandStack.changed', () => {
    options.onChange?.();
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void lint(), 300);
  });

  return {
    setLintContext(ctx) {
      linter = linterFor(ctx);
    },
    async open(xml) {
      await modeler.importXML(xml);
      markPlatform(modeler);
      fitBesidePalette(modeler);
      await lint();
    },
    lint,
    showProblem(report) {
      modeler.get<{ showError(r: LintReport): void }>('linting').showError(report);
    },
    async saveXml() {
      return (await modeler.saveXML({ format: true })).xml ?? '';
    },
    destroy() {
      window.clearTimeout(timer);
      modeler.destroy();
    },
  };
}
