// Tiny router on the History API: the path under /console, navigation, links and pattern matching.
import { AnchorHTMLAttributes, MouseEvent, ReactNode, useSyncExternalStore } from 'react';

/** The console's base path, e.g. "/console" (no trailing slash). */
export const BASE = import.meta.env.BASE_URL.replace(/\/+$/, '');

const CHANGE = 'rasura:navigate';

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(CHANGE, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(CHANGE, cb);
  };
}

/** The current path relative to the base, always starting with "/" and without a trailing slash. */
export function currentPath(): string {
  let p = window.location.pathname;
  if (p.startsWith(BASE)) p = p.slice(BASE.length);
  p = p.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

const snapshot = () => window.location.pathname + window.location.search;

/** Re-renders on navigation; returns the path relative to the base. */
export function usePath(): string {
  useSyncExternalStore(subscribe, snapshot);
  return currentPath();
}

/** The current query string parameters (re-rendering on navigation). */
export function useSearch(): URLSearchParams {
  useSyncExternalStore(subscribe, snapshot);
  return new URLSearchParams(window.location.search);
}

/** Goes to a console path ("/data/sql") or a path with a query string. */
export function navigate(to: string, replace = false): void {
  const url = BASE + (to.startsWith('/') ? to : '/' + to);
  if (url === snapshot()) return;
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event(CHANGE));
  if (!replace) window.scrollTo(0, 0);
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; children?: ReactNode };

/** An anchor that navigates without reloading (modifier clicks open normally). */
export function Link({ to, children, onClick, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={BASE + to} onClick={handle} {...rest}>
      {children}
    </a>
  );
}

/**
 * Matches a path against a pattern like "/data/:source/schema/:schema"; a trailing "*" matches
 * the rest. Returns the decoded parameters or null.
 */
export function match(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/').filter(Boolean);
  const xs = path.split('/').filter(Boolean);
  const out: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if (p === '*') {
      out['*'] = xs.slice(i).map(decodeURIComponent).join('/');
      return out;
    }
    if (i >= xs.length) return null;
    if (p.startsWith(':')) out[p.slice(1)] = decodeURIComponent(xs[i]);
    else if (p !== xs[i]) return null;
  }
  return ps.length === xs.length ? out : null;
}

/** Encodes one path segment. */
export const seg = (s: string) => encodeURIComponent(s);
