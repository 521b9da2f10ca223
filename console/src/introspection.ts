// Remote schema introspection without graphql-js: introspect_remote_schema, its types, type references.
import { metadata } from './api';

export interface TypeRef {
  kind: string;
  name?: string | null;
  ofType?: TypeRef | null;
}

export interface IntroType {
  kind: string;
  name: string;
  description?: string | null;
  fields?: { name: string; description?: string | null; args: { name: string; type: TypeRef }[]; type: TypeRef }[] | null;
  inputFields?: { name: string; type: TypeRef }[] | null;
  enumValues?: { name: string }[] | null;
}

export interface IntroSchema {
  queryType?: { name: string } | null;
  mutationType?: { name: string } | null;
  subscriptionType?: { name: string } | null;
  types: IntroType[];
}

export async function introspect(name: string): Promise<IntroSchema> {
  const r = await metadata<{ data: { __schema: IntroSchema } }>('introspect_remote_schema', { name });
  return r.data.__schema;
}

/** "[Foo!]!" for a type reference. */
export function typeName(t: TypeRef | null | undefined): string {
  if (!t) return '?';
  if (t.kind === 'NON_NULL') return `${typeName(t.ofType)}!`;
  if (t.kind === 'LIST') return `[${typeName(t.ofType)}]`;
  return t.name ?? '?';
}

/** The named type under list and non-null wrappers. */
export function namedType(t: TypeRef | null | undefined): string {
  while (t && (t.kind === 'NON_NULL' || t.kind === 'LIST')) t = t.ofType;
  return t?.name ?? '';
}
