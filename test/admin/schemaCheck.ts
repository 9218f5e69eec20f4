// A small JSON Schema checker for the subset openapi.ts uses, so tests can hold real responses
// against the published description.

type Schema = Record<string, any>;

/** Problems found checking `value` against `schema` (empty when it conforms); `$ref`s resolve in `root`. */
export function checkSchema(value: unknown, schema: Schema, root: Schema, path = "$"): string[] {
  if (schema.$ref) return checkSchema(value, resolve(schema.$ref, root), root, path);
  if (schema.anyOf) {
    const failures = (schema.anyOf as Schema[]).map((option) => checkSchema(value, option, root, path));
    return failures.some((f) => f.length === 0) ? [] : [`${path}: matches none of anyOf (${failures.flat().join("; ")})`];
  }
  const problems: string[] = [];
  if (schema.type && !hasType(value, schema.type)) return [`${path}: expected ${schema.type}, got ${JSON.stringify(value)}`];
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum}`);
  if (typeof value === "string") {
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) problems.push(`${path}: does not match ${schema.pattern}`);
    if (schema.format === "date-time" && Number.isNaN(Date.parse(value))) problems.push(`${path}: not a date-time`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => problems.push(...checkSchema(item, schema.items, root, `${path}[${i}]`)));
  if (isObject(value)) {
    for (const key of schema.required ?? []) if (!(key in value)) problems.push(`${path}: missing ${key}`);
    for (const [key, child] of Object.entries(value)) {
      const property = schema.properties?.[key];
      if (property) problems.push(...checkSchema(child, property, root, `${path}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${path}: unexpected property ${key}`);
    }
  }
  return problems;
}

function resolve(ref: string, root: Schema): Schema {
  return ref.replace(/^#\//, "").split("/").reduce((node: Schema, part) => node[part], root);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "null":
      return value === null;
    default:
      return typeof value === type;
  }
}
