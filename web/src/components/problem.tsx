import { ApiError } from '../api';

/** An error shown to the person: the API's message, with the field list when there is one. */
export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : undefined;
  return (
    <div class="alert alert-error" role="alert">
      <strong>{e?.title ?? 'Errore'}</strong>
      <p>{e?.detail ?? (error as Error).message}</p>
      {e && e.errors.length > 0 && (
        <ul>
          {e.errors.map((x) => (
            <li key={`${x.field}:${x.message}`}>
              {x.label ? <strong>{x.label}</strong> : <code>{x.field}</code>}: {x.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ text }: { text: string | undefined }) {
  return text ? (
    <div class="alert alert-ok" role="status">
      {text}
    </div>
  ) : null;
}
