import { KPI_LINE_LABELS, KPI_LINES } from '../kpi';

/** The «Linea» field of the KPI pages: CUP or the contact center (or, with `all`, both). */
export function LineSelect(props: { id: string; value: string; onChange: (line: string) => void; all?: string }) {
  return (
    <div>
      <label for={props.id}>Linea</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        {props.all !== undefined && <option value="">{props.all}</option>}
        {KPI_LINES.map((l) => (
          <option key={l} value={l}>
            {KPI_LINE_LABELS[l]}
          </option>
        ))}
      </select>
    </div>
  );
}
