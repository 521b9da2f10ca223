// Action SDL handling with graphql-js: SDL → create_action / set_custom_types arguments, and metadata → SDL.
import { DefinitionNode, FieldDefinitionNode, InputValueDefinitionNode, parse, print, TypeNode } from 'graphql';

export interface ActionField {
  name: string;
  type: 'query' | 'mutation';
  arguments: { name: string; type: string; description?: string }[];
  output_type: string;
  description?: string;
}

export interface CustomTypes {
  scalars: any[];
  enums: any[];
  input_objects: any[];
  objects: any[];
}

const KINDS = ['scalars', 'enums', 'input_objects', 'objects'] as const;

const typeText = (t: TypeNode) => print(t);
const desc = (d?: { value: string }) => (d?.value ? { description: d.value } : {});

function argument(a: InputValueDefinitionNode) {
  return { name: a.name.value, type: typeText(a.type), ...desc(a.description) };
}

/** Parses `type Mutation { name(args): Output }` (or Query, or `extend type`). */
export function parseActionSdl(sdl: string): ActionField {
  const doc = parse(sdl);
  const roots = doc.definitions.filter(
    (d): d is Extract<DefinitionNode, { kind: 'ObjectTypeDefinition' | 'ObjectTypeExtension' }> =>
      (d.kind === 'ObjectTypeDefinition' || d.kind === 'ObjectTypeExtension') && ['Query', 'Mutation'].includes(d.name.value),
  );
  if (roots.length !== 1 || (roots[0].fields?.length ?? 0) !== 1)
    throw new Error('the action definition must be one field of "type Mutation" or "type Query"');
  const f = roots[0].fields![0] as FieldDefinitionNode;
  return {
    name: f.name.value,
    type: roots[0].name.value === 'Query' ? 'query' : 'mutation',
    arguments: (f.arguments ?? []).map(argument),
    output_type: typeText(f.type),
    ...desc(f.description),
  };
}

/** Parses custom type definitions into set_custom_types' shape. */
export function parseTypesSdl(sdl: string): CustomTypes {
  const out: CustomTypes = { scalars: [], enums: [], input_objects: [], objects: [] };
  if (!sdl.trim()) return out;
  for (const d of parse(sdl).definitions) {
    switch (d.kind) {
      case 'ScalarTypeDefinition':
        out.scalars.push({ name: d.name.value, ...desc(d.description) });
        break;
      case 'EnumTypeDefinition':
        out.enums.push({
          name: d.name.value,
          ...desc(d.description),
          values: (d.values ?? []).map((v) => ({ value: v.name.value, ...desc(v.description) })),
        });
        break;
      case 'InputObjectTypeDefinition':
        out.input_objects.push({ name: d.name.value, ...desc(d.description), fields: (d.fields ?? []).map(argument) });
        break;
      case 'ObjectTypeDefinition':
        out.objects.push({
          name: d.name.value,
          ...desc(d.description),
          fields: (d.fields ?? []).map((f) => ({
            name: f.name.value,
            type: typeText(f.type),
            ...desc(f.description),
            ...(f.arguments?.length ? { arguments: f.arguments.map(argument) } : {}),
          })),
        });
        break;
      default:
        throw new Error(`unsupported definition in the types: ${d.kind}`);
    }
  }
  return out;
}

/** The existing custom types with the new ones put in (by name); object relationships are kept. */
export function mergeTypes(existing: Partial<CustomTypes> | undefined, added: CustomTypes): CustomTypes {
  const names = new Set(KINDS.flatMap((k) => added[k].map((t) => t.name)));
  const out: CustomTypes = { scalars: [], enums: [], input_objects: [], objects: [] };
  for (const k of KINDS) {
    const old = existing?.[k] ?? [];
    out[k] = [
      ...old.filter((t) => !names.has(t.name)),
      ...added[k].map((t) => {
        const prev = old.find((o) => o.name === t.name);
        return k === 'objects' && prev?.relationships ? { ...t, relationships: prev.relationships } : t;
      }),
    ];
  }
  return out;
}

const baseName = (t: string) => t.replace(/[[\]!\s]/g, '');
const descLine = (d: string | undefined, indent = '') => (d ? `${indent}"""${d}"""\n` : '');
const argsText = (args: any[] | undefined) =>
  args?.length ? `(${args.map((a) => `${a.name}: ${a.type}`).join(', ')})` : '';

/** The action's SDL as Hasura shows it. */
export function actionSdl(action: any): string {
  const d = action.definition ?? {};
  const root = d.type === 'query' ? 'Query' : 'Mutation';
  return `type ${root} {\n${descLine(action.comment, '  ')}  ${action.name}${argsText(d.arguments)}: ${d.output_type}\n}\n`;
}

/** SDL of the custom types an action uses (its output and argument types, followed through fields). */
export function actionTypesSdl(action: any, types: Partial<CustomTypes> | undefined): string {
  const byName = new Map<string, [string, any]>();
  for (const k of KINDS) for (const t of types?.[k] ?? []) byName.set(t.name, [k, t]);
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (name: string) => {
    if (seen.has(name) || !byName.has(name)) return;
    seen.add(name);
    order.push(name);
    for (const f of byName.get(name)![1].fields ?? []) {
      visit(baseName(f.type));
      for (const a of f.arguments ?? []) visit(baseName(a.type));
    }
  };
  const d = action.definition ?? {};
  for (const a of d.arguments ?? []) visit(baseName(a.type));
  visit(baseName(d.output_type ?? ''));
  return order
    .map((name) => {
      const [k, t] = byName.get(name)!;
      const head = descLine(t.description);
      if (k === 'scalars') return `${head}scalar ${t.name}\n`;
      if (k === 'enums') return `${head}enum ${t.name} {\n${t.values.map((v: any) => `  ${v.value}`).join('\n')}\n}\n`;
      const fields = (t.fields ?? []).map((f: any) => `${descLine(f.description, '  ')}  ${f.name}${argsText(f.arguments)}: ${f.type}`).join('\n');
      return `${head}${k === 'input_objects' ? 'input' : 'type'} ${t.name} {\n${fields}\n}\n`;
    })
    .join('\n');
}

export const DEFAULT_ACTION_SDL = `type Mutation {
  # Define your action as a mutation here
  actionName(arg1: SampleInput!): SampleOutput
}
`;

export const DEFAULT_TYPES_SDL = `input SampleInput {
  username: String!
  password: String!
}

type SampleOutput {
  accessToken: String!
}
`;
