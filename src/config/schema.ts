// A small schema language for our YAML files. One description gives both the validator (which
// walks YAML nodes, so every error has a position) and the JSON Schema that editors use.
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { closest } from './suggest.js';

interface Base {
  description?: string;
}
/** A field's expected shape. */
export type Schema =
  | (Base & { kind: 'string'; enum?: readonly string[]; pattern?: RegExp; patternHint?: string; nonEmpty?: boolean })
  | (Base & { kind: 'boolean' })
  | (Base & { kind: 'integer'; min?: number; max?: number })
  | (Base & { kind: 'number'; min?: number; max?: number; exclusiveMin?: boolean })
  | (Base & { kind: 'scalar' })
  | (Base & { kind: 'array'; items: Schema; minItems?: number })
  | (Base & { kind: 'map'; values: Schema; keyPattern?: RegExp; keyHint?: string })
  | (Base & {
      kind: 'object';
      fields: Record<string, Schema>;
      required?: readonly string[];
      oneOf?: readonly string[];
    });

/** A problem found at a position in the source text. */
export interface Issue {
  offset: number;
  path: string;
  message: string;
}

export const str = (description?: string, more: Partial<Extract<Schema, { kind: 'string' }>> = {}): Schema => ({
  kind: 'string',
  description,
  ...more,
});
export const oneOfStr = (values: readonly string[], description?: string): Schema => ({
  kind: 'string',
  enum: values,
  description,
});
export const bool = (description?: string): Schema => ({ kind: 'boolean', description });
export const int = (description?: string, min?: number, max?: number): Schema => ({
  kind: 'integer',
  description,
  min,
  max,
});
/** A number greater than 0 (an amount such as USD). */
export const positive = (description?: string): Schema => ({ kind: 'number', description, min: 0, exclusiveMin: true });
export const arrayOf = (items: Schema, description?: string, minItems?: number): Schema => ({
  kind: 'array',
  items,
  description,
  minItems,
});
export const mapOf = (values: Schema, description?: string, keys?: { pattern: RegExp; hint: string }): Schema => ({
  kind: 'map',
  values,
  description,
  ...(keys ? { keyPattern: keys.pattern, keyHint: keys.hint } : {}),
});
/** A scalar (string, number or boolean) taken as a string: env values and tmux option values. */
export const scalar = (description?: string): Schema => ({ kind: 'scalar', description });

/** What a node is, for an error; hidden: not its value (text under an env: may be a secret). */
const typeName = (node: Node | null | undefined, hidden = false): string => {
  if (node == null || (isScalar(node) && node.value === null)) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  const value = (node as { value: unknown }).value;
  if (hidden) return typeof value === 'string' ? 'a text' : typeof value === 'number' ? 'a number' : 'true or false';
  return typeof value === 'string' ? `the text ${JSON.stringify(String(value).slice(0, 40))}` : `${String(value)}`;
};

/** Fields whose values may be secrets: env: and what is in it. */
const SECRET_PATH = /(^|\.)env(\.|$)/;

const expected = (schema: Schema): string => {
  switch (schema.kind) {
    case 'string':
      return schema.enum ? `one of ${schema.enum.join(', ')}` : 'a text';
    case 'boolean':
      return 'true or false';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'scalar':
      return 'a text, number or boolean';
    case 'array':
      return 'a list';
    case 'map':
    case 'object':
      return 'a mapping of keys to values';
  }
};

const join = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/** Checks node against schema, returning the plain value (undefined where invalid) and issues. */
export function check(
  schema: Schema,
  node: Node | null | undefined,
  path: string,
  at: number,
  issues: Issue[],
): unknown {
  const offset = node?.range?.[0] ?? at;
  const fail = (message: string): undefined => {
    issues.push({ offset, path, message });
    return undefined;
  };
  const typeOf = (n: Node): string => typeName(n, SECRET_PATH.test(path));
  if (node == null || (isScalar(node) && node.value === null && schema.kind !== 'scalar')) {
    return fail(`is empty (expected ${expected(schema)})`);
  }
  switch (schema.kind) {
    case 'object':
    case 'map': {
      if (!isMap(node)) return fail(`is ${typeOf(node)} (expected ${expected(schema)})`);
      // Keys are defined, not assigned: "__proto__" is a key like any other (and is looked up with hasOwn).
      const out: Record<string, unknown> = {};
      const set = (key: string, value: unknown): void => {
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      };
      for (const pair of node.items) {
        const keyNode = pair.key as Node;
        const key = isScalar(keyNode) ? String(keyNode.value) : '?';
        const keyAt = keyNode?.range?.[0] ?? offset;
        if (schema.kind === 'map' && schema.keyPattern && !schema.keyPattern.test(key)) {
          issues.push({
            offset: keyAt,
            path: join(path, key),
            message: `${JSON.stringify(key)} is not a valid key (expected ${schema.keyHint ?? `a key matching ${schema.keyPattern}`})`,
          });
          continue;
        }
        const fieldSchema =
          schema.kind === 'map' ? schema.values : Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
        if (!fieldSchema) {
          const known = Object.keys((schema as { fields: Record<string, Schema> }).fields);
          const guess = closest(key, known);
          issues.push({
            offset: keyAt,
            path: join(path, key),
            message: `unknown key ${JSON.stringify(key)} (${guess ? `did you mean ${JSON.stringify(guess)}?` : `expected one of ${known.join(', ')}`})`,
          });
          continue;
        }
        set(key, check(fieldSchema, pair.value as Node, join(path, key), keyAt, issues));
      }
      if (schema.kind === 'object') {
        for (const field of schema.required ?? []) {
          if (!Object.hasOwn(out, field))
            issues.push({
              offset,
              path: join(path, field),
              message: `is missing (expected ${schema.fields[field]?.description ?? 'a value'})`,
            });
        }
        if (schema.oneOf) {
          const present = schema.oneOf.filter((k) => Object.hasOwn(out, k));
          if (present.length !== 1) {
            issues.push({
              offset,
              path,
              message:
                present.length === 0
                  ? `needs one of ${schema.oneOf.map((k) => JSON.stringify(k)).join(' or ')}`
                  : `has both ${present.map((k) => JSON.stringify(k)).join(' and ')} (a ${
                      path
                        .replace(/\[\d+\]$/, '')
                        .split('.')
                        .pop() ?? 'entry'
                    } is one or the other)`,
            });
          }
        }
      }
      return out;
    }
    case 'array': {
      if (!isSeq(node)) return fail(`is ${typeOf(node)} (expected ${expected(schema)})`);
      if (schema.minItems && node.items.length < schema.minItems)
        return fail(
          `is an empty list (expected at least ${schema.minItems} entr${schema.minItems === 1 ? 'y' : 'ies'})`,
        );
      return node.items.map((item, i) => check(schema.items, item as Node, join(path, i), offset, issues));
    }
    default: {
      if (!isScalar(node)) return fail(`is ${typeOf(node)} (expected ${expected(schema)})`);
      const value = node.value;
      if (schema.kind === 'scalar') {
        return ['string', 'number', 'boolean'].includes(typeof value)
          ? String(value)
          : fail(`is ${typeOf(node)} (expected ${expected(schema)})`);
      }
      if (schema.kind === 'boolean')
        return typeof value === 'boolean' ? value : fail(`is ${typeOf(node)} (expected true or false)`);
      if (schema.kind === 'number') {
        if (typeof value !== 'number' || !Number.isFinite(value))
          return fail(`is ${typeOf(node)} (expected a number, e.g. 2.5)`);
        if (schema.min !== undefined && (schema.exclusiveMin ? value <= schema.min : value < schema.min))
          return fail(`is ${value} (expected a number greater than ${schema.min})`);
        return value;
      }
      if (schema.kind === 'integer') {
        if (typeof value !== 'number' || !Number.isInteger(value))
          return fail(`is ${typeOf(node)} (expected a whole number)`);
        if ((schema.min !== undefined && value < schema.min) || (schema.max !== undefined && value > schema.max)) {
          return fail(`is ${value} (expected a number from ${schema.min ?? '-inf'} to ${schema.max ?? 'inf'})`);
        }
        return value;
      }
      if (typeof value !== 'string')
        return fail(
          `is ${typeOf(node)} (expected ${expected(schema)}${typeof value === 'number' || typeof value === 'boolean' ? `; quote it: "${String(value)}"` : ''})`,
        );
      if (schema.enum && !schema.enum.includes(value)) {
        const guess = closest(value, schema.enum);
        return fail(
          `is ${JSON.stringify(value)} (expected ${guess ? `${JSON.stringify(guess)}; ` : ''}one of ${schema.enum.join(', ')})`,
        );
      }
      if (schema.nonEmpty && value.trim() === '') return fail('is empty text (expected a non-empty text)');
      if (schema.pattern && !schema.pattern.test(value))
        return fail(
          `is ${JSON.stringify(value)} (expected ${schema.patternHint ?? `text matching ${schema.pattern}`})`,
        );
      return value;
    }
  }
}

/** Issues without repeats (one default that is wrong for every pane is one problem). */
export function unique(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.offset}\u0000${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The JSON Schema (draft-07) equivalent of schema, for editors. */
export function toJsonSchema(schema: Schema): Record<string, unknown> {
  const d = schema.description ? { description: schema.description } : {};
  switch (schema.kind) {
    case 'string':
      return {
        type: 'string',
        ...d,
        ...(schema.enum ? { enum: [...schema.enum] } : {}),
        ...(schema.pattern ? { pattern: schema.pattern.source } : {}),
      };
    case 'boolean':
      return { type: 'boolean', ...d };
    case 'integer':
      return {
        type: 'integer',
        ...d,
        ...(schema.min !== undefined ? { minimum: schema.min } : {}),
        ...(schema.max !== undefined ? { maximum: schema.max } : {}),
      };
    case 'number':
      return {
        type: 'number',
        ...d,
        ...(schema.min !== undefined
          ? schema.exclusiveMin
            ? { exclusiveMinimum: schema.min }
            : { minimum: schema.min }
          : {}),
      };
    case 'scalar':
      return { type: ['string', 'number', 'boolean'], ...d };
    case 'array':
      return {
        type: 'array',
        ...d,
        items: toJsonSchema(schema.items),
        ...(schema.minItems ? { minItems: schema.minItems } : {}),
      };
    case 'map':
      return {
        type: 'object',
        ...d,
        ...(schema.keyPattern ? { propertyNames: { pattern: schema.keyPattern.source } } : {}),
        additionalProperties: toJsonSchema(schema.values),
      };
    case 'object':
      return {
        type: 'object',
        ...d,
        additionalProperties: false,
        properties: Object.fromEntries(Object.entries(schema.fields).map(([k, v]) => [k, toJsonSchema(v)])),
        ...(schema.required?.length ? { required: [...schema.required] } : {}),
        ...(schema.oneOf ? { oneOf: schema.oneOf.map((k) => ({ required: [k] })) } : {}),
      };
  }
}
