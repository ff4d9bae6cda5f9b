import { useState } from 'preact/hooks';
import { api } from '../api';
import { Problem } from './problem';

interface TaxPosition {
  fiscalCode: string;
  holder: string;
  vehicles: { plate: string; kind: string; year: number; status: string; amount: number }[];
  exemptions: { kind: string; from: string; to: string | null; reason: string }[];
  amountsDue: { tax: string; year: number; amount: number; dueDate: string; act: string | null }[];
}

const euro = (n: number) => new Intl.NumberFormat('it-IT', { style: 'currency', currency: 'EUR' }).format(n);
const day = (d: string) => new Intl.DateTimeFormat('it-IT').format(new Date(d));

/** The processes whose tasks answer about regional taxes: their pages offer the SITR lookup. */
export const TAX_PROCESSES = ['helpdesk-tributi-check', 'helpdesk-phone-contact'];

/**
 * "Posizione tributaria (SITR)": the operator looks up a taxpayer's car tax, exemptions and
 * amounts due while answering about them (R7). Each lookup is audited by the server.
 */
export function TaxPanel({ fiscalCode: initial = '' }: { fiscalCode?: string }) {
  const [fiscalCode, setFiscalCode] = useState(initial);
  const [position, setPosition] = useState<TaxPosition>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const look = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setPosition(undefined);
    try {
      setPosition(await api<TaxPosition>(`/api/helpdesk/taxes/${encodeURIComponent(fiscalCode.trim())}`));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="tax-panel-title" data-testid="tax-panel">
      <h2 id="tax-panel-title">Posizione tributaria (SITR)</h2>
      <form class="inline" onSubmit={(e) => void look(e)}>
        <label for="tax-fiscal-code">Codice fiscale o partita IVA</label>
        <input
          id="tax-fiscal-code"
          autocomplete="off"
          required
          value={fiscalCode}
          onInput={(e) => setFiscalCode(e.currentTarget.value.toUpperCase())}
        />
        <button type="submit" disabled={busy}>
          Consulta
        </button>
      </form>
      <Problem error={error} />
      {position && (
        <div>
          <p>
            <strong>{position.holder}</strong> ({position.fiscalCode})
          </p>
          <table aria-label="Importi dovuti">
            <caption>Importi dovuti</caption>
            <thead>
              <tr>
                <th scope="col">Tributo</th>
                <th scope="col">Anno</th>
                <th scope="col">Importo</th>
                <th scope="col">Scadenza</th>
                <th scope="col">Atto</th>
              </tr>
            </thead>
            <tbody>
              {position.amountsDue.length === 0 && (
                <tr>
                  <td colSpan={5}>Nessun importo dovuto.</td>
                </tr>
              )}
              {position.amountsDue.map((a) => (
                <tr key={`${a.tax}-${a.year}-${a.act ?? ''}`}>
                  <td>{a.tax}</td>
                  <td>{a.year}</td>
                  <td>{euro(a.amount)}</td>
                  <td>{day(a.dueDate)}</td>
                  <td>{a.act ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table aria-label="Veicoli">
            <caption>Veicoli (tassa automobilistica)</caption>
            <thead>
              <tr>
                <th scope="col">Targa</th>
                <th scope="col">Tipo</th>
                <th scope="col">Anno</th>
                <th scope="col">Stato</th>
                <th scope="col">Importo</th>
              </tr>
            </thead>
            <tbody>
              {position.vehicles.map((v) => (
                <tr key={`${v.plate}-${v.year}`}>
                  <td>{v.plate}</td>
                  <td>{v.kind}</td>
                  <td>{v.year}</td>
                  <td>{v.status}</td>
                  <td>{euro(v.amount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {position.exemptions.length > 0 && (
            <ul aria-label="Esenzioni">
              {position.exemptions.map((x) => (
                <li key={`${x.kind}-${x.from}`}>
                  Esenzione {x.kind} dal {day(x.from)}
                  {x.to ? ` al ${day(x.to)}` : ''}: {x.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
