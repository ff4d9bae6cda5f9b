/** Placeholder while the page is written (issue 12); replaced by its owner. */
export function SlaPage() {
  return <h1 tabIndex={-1}>In preparazione</h1>;
}
