// SETTINGS section: sidebar and routes (metadata actions, metadata status, about).
import { Link, usePath } from '../../router';
import { route, SectionLayout } from '../../section';
import About from './About';
import MetadataActions from './MetadataActions';
import MetadataStatus from './MetadataStatus';

const LINKS = [
  { to: '/settings/metadata-actions', label: 'Metadata Actions', testid: 'settings-metadata-actions' },
  { to: '/settings/metadata-status', label: 'Metadata Status', testid: 'settings-metadata-status' },
  { to: '/settings/about', label: 'About', testid: 'settings-about' },
];

function Sidebar() {
  const path = usePath();
  return (
    <aside className="sidebar" data-testid="settings-sidebar">
      {LINKS.map((l) => (
        <Link key={l.to} to={l.to} className={`sidebar-link${path === l.to ? ' active' : ''}`} data-testid={l.testid}>
          {l.label}
        </Link>
      ))}
    </aside>
  );
}

export default function SettingsSection({ path }: { path: string }) {
  return (
    <SectionLayout sidebar={<Sidebar />}>
      {route(path, [
        ['/settings/metadata-actions', () => <MetadataActions />],
        ['/settings/metadata-status', () => <MetadataStatus />],
        ['/settings/about', () => <About />],
      ])}
    </SectionLayout>
  );
}
