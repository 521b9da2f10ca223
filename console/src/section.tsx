// Shared section layout: sidebar + page, a sidebar list of named objects, a list page, and an object page with tabs.
import { ComponentType, ReactNode, Suspense } from 'react';
import { Link, match } from './router';
import { ErrorBox, Loading, NotFound, PageHeader, Tabs } from './ui';

/** A section's frame: its sidebar on the left, the page on the right. */
export function SectionLayout({ sidebar, children }: { sidebar: ReactNode; children: ReactNode }) {
  return (
    <div className="with-sidebar">
      {sidebar}
      <div className="page">{children}</div>
    </div>
  );
}

export type Route = [string, (m: Record<string, string>) => ReactNode];

/** The page of the first pattern (see `match`) that fits the path, or "not found". */
export function route(path: string, routes: Route[]): ReactNode {
  for (const [pattern, render] of routes) {
    const m = match(pattern, path);
    if (m) return render(m);
  }
  return <NotFound />;
}

/** The routes of one object's pages: `<base>/<name>/<tab>`, and `<base>/<name>` for its modify tab. */
export function objectRoutes(base: string, Page: ComponentType<{ name: string; tab: string }>): Route[] {
  return [
    [`${base}/:name/:tab`, (m) => <Page name={m.name} tab={m.tab} />],
    [`${base}/:name`, (m) => <Page name={m.name} tab="modify" />],
  ];
}

/** Links of a sidebar list of named objects (actions, remote schemas, triggers). */
export function SidebarItems({ names, to, testid }: { names: string[]; to: (name: string) => string; testid: (name: string) => string }) {
  return (
    <ul className="sidebar-list">
      {names.map((n) => (
        <li key={n}>
          <Link to={to(n)} data-testid={testid(n)}>
            {n}
          </Link>
        </li>
      ))}
    </ul>
  );
}

/** A sidebar with a create button, a link to the list and the objects' links. */
export function ObjectSidebar({
  testid,
  createTo,
  createLabel,
  createTestid,
  allTo,
  allLabel,
  allTestid,
  title,
  children,
}: {
  testid: string;
  createTo: string;
  createLabel: string;
  createTestid: string;
  allTo: string;
  allLabel: string;
  allTestid?: string;
  title?: string;
  children: ReactNode;
}) {
  return (
    <aside className="sidebar" data-testid={testid}>
      <Link to={createTo} className="btn btn-primary btn-block" data-testid={createTestid}>
        {createLabel}
      </Link>
      <Link to={allTo} className="sidebar-link" data-testid={allTestid}>
        {allLabel}
      </Link>
      {title && <div className="sidebar-title">{title}</div>}
      {children}
    </aside>
  );
}

/** A list page: title with a create link, an optional intro, then the list itself. */
export function ListPage({
  testid,
  title,
  createTo,
  createTestid,
  createLabel = 'Create',
  intro,
  children,
}: {
  testid: string;
  title: string;
  createTo: string;
  createTestid: string;
  createLabel?: string;
  intro?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div data-testid={testid}>
      <PageHeader title={title}>
        <Link to={createTo} className="btn btn-primary" data-testid={createTestid}>
          {createLabel}
        </Link>
      </PageHeader>
      {intro && <p className="muted">{intro}</p>}
      {children}
    </div>
  );
}

export interface TabDef {
  tab: string;
  label: string;
}

/**
 * One object's page (an action, a remote schema, a trigger): heading, tabs, and the tab's body,
 * or a warning when the metadata has no such object. `prefix` names the test hooks:
 * `<prefix>-page-<tab>` on the page and `<prefix>-tab-<tab>` on the tabs.
 */
export function ObjectPage({
  prefix,
  kind,
  name,
  tabs,
  tab,
  pathOf,
  found,
  error,
  children,
}: {
  prefix: string;
  /** What the object is, e.g. "Action" (the heading is `<kind>: <name>`). */
  kind: string;
  name: string;
  tabs: TabDef[];
  tab: string;
  pathOf: (name: string, tab: string) => string;
  /** Whether the object exists; undefined while its data loads. */
  found: boolean | undefined;
  error?: unknown;
  children: () => ReactNode;
}) {
  if (!tabs.some((t) => t.tab === tab)) return <NotFound />;
  const ready = found !== undefined;
  const missing = found === false ? `There is no ${kind.toLowerCase()} named "${name}".` : null;
  return (
    <div data-testid={`${prefix}-page-${tab}`}>
      <PageHeader title={`${kind}: ${name}`} />
      <Tabs items={tabs.map((t) => ({ label: t.label, to: pathOf(name, t.tab), testid: `${prefix}-tab-${t.tab}` }))} />
      <div className="tab-body">
        {error ? <ErrorBox error={error} /> : !ready ? <Loading /> : missing ? <p className="warn">{missing}</p> : <Suspense fallback={<Loading />}>{children()}</Suspense>}
      </div>
    </div>
  );
}
