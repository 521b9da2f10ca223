// Remote schema helpers: the shared introspection reads, and SDL printing (graphql-js, remote schemas section only).
import { buildClientSchema, IntrospectionQuery, printSchema } from 'graphql';
import type { IntroSchema } from '../../introspection';

export { introspect, typeName } from '../../introspection';
export type { IntroSchema, IntroType, TypeRef } from '../../introspection';

/** The schema's SDL (as printed by graphql-js), or an error message. */
export function schemaSdl(schema: IntroSchema): string {
  try {
    return printSchema(buildClientSchema({ __schema: schema } as unknown as IntrospectionQuery));
  } catch (e) {
    return `# could not print the schema: ${(e as Error).message}`;
  }
}
