import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

export type TemplateKind = 'sms' | 'email' | 'voice' | 'reports';

const TIME_ZONE = 'Europe/Rome';

/** Handlebars with the helpers every Italian text needs (dates and times in Europe/Rome). */
function createEngine(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('data', (value: string) =>
    new Intl.DateTimeFormat('it-IT', { timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric' }).format(
      new Date(value),
    ),
  );
  hb.registerHelper('ora', (value: string) =>
    new Intl.DateTimeFormat('it-IT', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit' }).format(
      new Date(value),
    ),
  );
  return hb;
}

/** Texts under `templates/<kind>/<name>.hbs`, compiled once at start. */
export class Templates {
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();

  constructor(dir: string) {
    const hb = createEngine();
    for (const kind of ['sms', 'email', 'voice', 'reports'] as const) {
      const folder = path.join(dir, kind);
      if (!existsSync(folder)) continue;
      for (const file of readdirSync(folder).filter((f) => f.endsWith('.hbs'))) {
        const source = readFileSync(path.join(folder, file), 'utf8').trimEnd();
        this.compiled.set(
          `${kind}/${file.replace(/\.hbs$/, '')}`,
          hb.compile(source, { strict: true, noEscape: true }),
        );
      }
    }
  }

  has(kind: TemplateKind, name: string): boolean {
    return this.compiled.has(`${kind}/${name}`);
  }

  names(kind: TemplateKind): string[] {
    return [...this.compiled.keys()].filter((k) => k.startsWith(`${kind}/`)).map((k) => k.slice(kind.length + 1));
  }

  /** Renders a template; a missing template or a missing field is an error, never an empty text. */
  render(kind: TemplateKind, name: string, data: Record<string, unknown>): string {
    const t = this.compiled.get(`${kind}/${name}`);
    if (!t) throw new Error(`template ${kind}/${name} not found`);
    return t(data);
  }
}
