import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** A small history-API router: the workspace has a handful of pages and needs nothing more. */
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useLocation(): URL {
  const [href, setHref] = useState(location.href);
  useEffect(() => {
    const on = () => setHref(location.href);
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return new URL(href);
}

/** Matches `/compiti/:key` style patterns; returns the named parts or undefined. */
export function match(pattern: string, pathname: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const s = pathname.replace(/\/$/, '').split('/');
  if (p.length !== s.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] ?? '';
    const seg = s[i] ?? '';
    if (part.startsWith(':')) out[part.slice(1)] = decodeURIComponent(seg);
    else if (part !== seg) return undefined;
  }
  return out;
}

export function Link(props: { href: string; children: ComponentChildren; class?: string; current?: boolean }) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props.current ? 'page' : undefined}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

/**
 * Filters kept in the address (so a view can be bookmarked and shared): the current values
 * and a setter that replaces the history entry rather than adding one per keystroke.
 */
export function useFilters(): {
  loc: URL;
  filters: Record<string, string | undefined>;
  setFilter: (name: string, value: string) => void;
} {
  const loc = useLocation();
  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(loc.search);
    if (value) next.set(name, value);
    else next.delete(name);
    navigate(`${loc.pathname}${next.toString() ? `?${next.toString()}` : ''}`, true);
  };
  return { loc, filters: Object.fromEntries(loc.searchParams), setFilter };
}
