// Notifications: success / error toasts for every mutating action, plus the `act` helper.
import { useSyncExternalStore } from 'react';
import { errorMessage } from './api';

export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  message: string;
}

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function emit() {
  toasts = [...toasts];
  listeners.forEach((l) => l());
}

export function dismiss(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

function push(kind: Toast['kind'], message: string): void {
  const id = nextId++;
  toasts.push({ id, kind, message });
  if (toasts.length > 5) toasts.shift();
  emit();
  setTimeout(() => dismiss(id), kind === 'error' ? 12000 : 4000);
}

export const notify = {
  success: (message: string) => push('success', message),
  info: (message: string) => push('info', message),
  error: (e: unknown) => push('error', errorMessage(e)),
};

/**
 * Runs a mutating action and reports how it went: a success toast with `ok` (when given) or
 * an error toast with the engine's message. Returns the result, or undefined on failure.
 */
export async function act<T>(fn: () => Promise<T>, ok?: string): Promise<T | undefined> {
  try {
    const r = await fn();
    if (ok) notify.success(ok);
    return r;
  } catch (e) {
    notify.error(e);
    return undefined;
  }
}

function subscribe(cb: () => void) {
  listeners.add(cb);
  return () => {
    listeners.delete(cb);
  };
}

/** The toast stack, fixed at the top right. */
export function Toasts() {
  const list = useSyncExternalStore(subscribe, () => toasts);
  return (
    <div className="toasts" aria-live="polite">
      {list.map((t) => (
        <div
          key={t.id}
          className={`toast toast-${t.kind}`}
          data-testid={`notification-${t.kind}`}
          role={t.kind === 'error' ? 'alert' : 'status'}
          onClick={() => dismiss(t.id)}
        >
          <strong>{t.kind === 'error' ? 'Error' : t.kind === 'success' ? 'Success' : 'Note'}</strong>
          <span>{t.message}</span>
        </div>
      ))}
    </div>
  );
}
