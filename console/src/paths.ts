// Builders for console paths (Hasura's URL scheme), shared by all pages.
import { seg } from './router';

export const schemaPath = (source: string, schema: string) => `/data/${seg(source)}/schema/${seg(schema)}`;
export const tablePath = (source: string, schema: string, table: string, tab = 'browse') =>
  `${schemaPath(source, schema)}/tables/${seg(table)}/${tab}`;
export const actionPath = (name: string, tab = 'modify') => `/actions/manage/${seg(name)}/${tab}`;
export const triggerPath = (name: string, tab = 'modify') => `/events/data/${seg(name)}/${tab}`;
export const cronPath = (name: string, tab = 'modify') => `/events/cron/${seg(name)}/${tab}`;
export const remotePath = (name: string, tab = 'modify') => `/remote-schemas/manage/${seg(name)}/${tab}`;
