/**
 * form-js 1.x has no translation service and writes its validation messages in English;
 * operators read Italian. This module wraps the form's validator and translates what it says.
 */
const MESSAGES: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^Field is required\.$/, () => 'Campo obbligatorio.'],
  [/^Field must have minimum length of (\d+)\.$/, (m) => `Inserire almeno ${m[1]} caratteri.`],
  [/^Field must have maximum length of (\d+)\.$/, (m) => `Inserire al massimo ${m[1]} caratteri.`],
  [/^Field must have minimum value of (.+)\.$/, (m) => `Il valore minimo è ${m[1]}.`],
  [/^Field must have maximum value of (.+)\.$/, (m) => `Il valore massimo è ${m[1]}.`],
  [/^Field must match pattern (.+)\.$/, () => 'Il formato non è valido.'],
  [/^Field must be a valid email\.$/, () => 'Inserire un indirizzo email valido.'],
  [
    /^Field must be a valid {1,2}international phone number.*$/,
    () => 'Inserire un numero di telefono internazionale valido (es. +390971123456).',
  ],
  [/^Value is not a number\.$/, () => 'Il valore non è un numero.'],
  [/^Date and time must both be entered\.$/, () => 'Inserire sia la data sia l’ora.'],
];

export function toItalian(message: string): string {
  for (const [re, say] of MESSAGES) {
    const m = message.match(re);
    if (m) return say(m);
  }
  return message;
}

interface Validator {
  validateField(field: unknown, value: unknown): string[];
  validateFieldInstance(instance: unknown, value: unknown): string[];
}

function translateValidator(validator: Validator): void {
  const byField = validator.validateField.bind(validator);
  const byInstance = validator.validateFieldInstance.bind(validator);
  validator.validateField = (field, value) => byField(field, value).map(toItalian);
  validator.validateFieldInstance = (instance, value) => byInstance(instance, value).map(toItalian);
}
translateValidator.$inject = ['validator'];

export const italianValidationModule = { __init__: [translateValidator] };

const PLACEHOLDERS: Record<string, string> = { Select: 'Seleziona', Search: 'Cerca' };

/**
 * The select's "Select" and the search's "Search" are text form-js writes itself; this keeps
 * them in Italian as the form re-renders.
 */
export function italianPlaceholders(container: HTMLElement): () => void {
  const fix = () => {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const it = PLACEHOLDERS[n.nodeValue?.trim() ?? ''];
      if (it) n.nodeValue = it;
    }
    for (const input of container.querySelectorAll<HTMLInputElement>('input[placeholder]')) {
      const it = PLACEHOLDERS[input.placeholder];
      if (it) input.placeholder = it;
    }
  };
  const observer = new MutationObserver(fix);
  observer.observe(container, { childList: true, subtree: true, characterData: true });
  fix();
  return () => observer.disconnect();
}
