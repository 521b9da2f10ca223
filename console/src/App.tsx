// Console shell: the top bar (API / DATA / ACTIONS / REMOTE SCHEMAS / EVENTS / SETTINGS) and the section switch.
import { lazy, ReactNode, Suspense } from 'react';
import { getSecret, logout as forgetSecret } from './api';
import { Link, usePath } from './router';
import { Loading, NotFound, Redirect } from './ui';

const Explorer = lazy(() => import('./pages/api/Explorer'));
const DataSection = lazy(() => import('./pages/data/DataSection'));
const ActionsSection = lazy(() => import('./pages/actions/ActionsSection'));
const EventsSection = lazy(() => import('./pages/events/EventsSection'));
const RemoteSection = lazy(() => import('./pages/remote/RemoteSection'));
const SettingsSection = lazy(() => import('./pages/settings/SettingsSection'));

const NAV = [
  { label: 'API', to: '/api/api-explorer', prefix: 'api', testid: 'nav-api' },
  { label: 'DATA', to: '/data/default/schema/public', prefix: 'data', testid: 'nav-data' },
  { label: 'ACTIONS', to: '/actions/manage/actions', prefix: 'actions', testid: 'nav-actions' },
  { label: 'REMOTE SCHEMAS', to: '/remote-schemas/manage/schemas', prefix: 'remote-schemas', testid: 'nav-remote-schemas' },
  { label: 'EVENTS', to: '/events/data/manage', prefix: 'events', testid: 'nav-events' },
  { label: 'SETTINGS', to: '/settings/metadata-actions', prefix: 'settings', testid: 'nav-settings' },
];

/** Where a bare section path goes, as in Hasura's console. */
const REDIRECTS: Record<string, string> = {
  '/': '/api/api-explorer',
  '/api': '/api/api-explorer',
  '/data': '/data/default/schema/public',
  '/data/schema': '/data/default/schema/public',
  '/actions': '/actions/manage/actions',
  '/actions/manage': '/actions/manage/actions',
  '/remote-schemas': '/remote-schemas/manage/schemas',
  '/remote-schemas/manage': '/remote-schemas/manage/schemas',
  '/events': '/events/data/manage',
  '/events/data': '/events/data/manage',
  '/events/cron': '/events/cron/manage',
  '/settings': '/settings/metadata-actions',
};

function section(path: string): ReactNode {
  const first = path.split('/')[1] ?? '';
  switch (first) {
    case 'api':
      return path === '/api/api-explorer' ? <Explorer /> : <NotFound />;
    case 'data':
      return <DataSection path={path} />;
    case 'actions':
      return <ActionsSection path={path} />;
    case 'events':
      return <EventsSection path={path} />;
    case 'remote-schemas':
      return <RemoteSection path={path} />;
    case 'settings':
      return <SettingsSection path={path} />;
    default:
      return <NotFound />;
  }
}

export default function App() {
  const path = usePath();
  const first = path.split('/')[1] ?? '';
  const redirect = REDIRECTS[path];
  const logout = () => {
    forgetSecret();
    window.location.reload();
  };
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/api/api-explorer" className="brand">
          RASURA
        </Link>
        <nav className="mainnav">
          {NAV.map((n) => (
            <Link key={n.prefix} to={n.to} className={first === n.prefix ? 'active' : ''} data-testid={n.testid} id={n.testid}>
              {n.label}
            </Link>
          ))}
        </nav>
        <div className="topbar-right">
          {getSecret() !== null && (
            <button className="btn btn-link topbar-logout" onClick={logout} data-testid="logout">
              log out
            </button>
          )}
        </div>
      </header>
      <main className="main">
        <Suspense fallback={<Loading />}>{redirect ? <Redirect to={redirect} /> : section(path)}</Suspense>
      </main>
    </div>
  );
}
