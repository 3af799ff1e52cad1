/**
 * An imitation of ASP.NET Core 7 MVC input binding for `[FromBody]` models on an `[ApiController]`:
 * System.Text.Json with web defaults (case-insensitive names, numbers readable from strings), then
 * DataAnnotations validation ([Required], [EmailAddress]). Errors come back keyed like ModelState.
 */

/** FieldKind is the C# type of a bound property. */
export type FieldKind = 'string' | 'int32';

/** FieldSpec declares one model property: its C# name, JSON name and annotations. */
export interface FieldSpec {
  property: string;
  json: string;
  kind: FieldKind;
  required?: boolean;
  email?: boolean;
}

/** ModelSpec is one C# model class bound from a request body parameter. */
export interface ModelSpec {
  /** CLR type name used in conversion errors, e.g. `Registration.Models.User`. */
  typeName: string;
  /** Action parameter name, used by the "The user field is required." error when the body cannot be read. */
  parameter: string;
  fields: FieldSpec[];
}

/** BoundValue is a property value after binding (null when absent or JSON null). */
export type BoundValue = string | number | null;

/** BindingResult is either the bound model or the ModelState errors. */
export type BindingResult =
  | { ok: true; model: Record<string, BoundValue> }
  | { ok: false; errors: Record<string, string[]> };

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function clrName(kind: FieldKind): string {
  return kind === 'string' ? 'System.String' : 'System.Int32';
}

function readInt32(value: unknown): number | undefined {
  // JsonNumberHandling.AllowReadingFromString is part of the web defaults MVC uses.
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : undefined;
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  const parsed = Number(text);
  return parsed >= INT32_MIN && parsed <= INT32_MAX ? parsed : undefined;
}

// EmailAddressAttribute (.NET Core): exactly one '@', neither first nor last, no CR/LF.
function isEmailAddress(value: string): boolean {
  if (value.includes('\r') || value.includes('\n')) return false;
  const at = value.indexOf('@');
  return at > 0 && at !== value.length - 1 && at === value.lastIndexOf('@');
}

function unreadable(spec: ModelSpec, path: string, message: string): BindingResult {
  return { ok: false, errors: { [path]: [message], [spec.parameter]: [`The ${spec.parameter} field is required.`] } };
}

/** bindModel parses `body` as .NET would and validates it; ModelState keys use the C# property names. */
export function bindModel(spec: ModelSpec, body: string): BindingResult {
  if (body.trim() === '') return { ok: false, errors: { '': ['A non-empty request body is required.'] } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return unreadable(spec, '$', `'${body.trim().charAt(0)}' is an invalid start of a value or the JSON is malformed. Path: $.`);
  }
  if (parsed === null) return { ok: false, errors: { [spec.parameter]: [`The ${spec.parameter} field is required.`] } };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    return unreadable(spec, '$', `The JSON value could not be converted to ${spec.typeName}. Path: $.`);
  }
  const model: Record<string, BoundValue> = {};
  for (const field of spec.fields) model[field.property] = field.kind === 'int32' ? 0 : null;
  // PropertyNameCaseInsensitive: the last matching key wins, like the streaming reader.
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const field = spec.fields.find((candidate) => candidate.json.toLowerCase() === key.toLowerCase());
    if (field === undefined) continue;
    const path = `$.${key}`;
    if (field.kind === 'string') {
      if (value !== null && typeof value !== 'string') return unreadable(spec, path, `The JSON value could not be converted to ${clrName(field.kind)}. Path: ${path}.`);
      model[field.property] = value;
    } else {
      const int = readInt32(value);
      if (int === undefined) return unreadable(spec, path, `The JSON value could not be converted to ${clrName(field.kind)}. Path: ${path}.`);
      model[field.property] = int;
    }
  }
  const errors: Record<string, string[]> = {};
  for (const field of spec.fields) {
    const value = model[field.property];
    const messages: string[] = [];
    // [Required] on an int never fails: a missing number binds as 0.
    if (field.required === true && field.kind === 'string' && (value === null || (typeof value === 'string' && value.trim() === ''))) {
      messages.push(`The ${field.property} field is required.`);
    }
    if (field.email === true && typeof value === 'string' && !isEmailAddress(value)) {
      messages.push(`The ${field.property} field is not a valid e-mail address.`);
    }
    if (messages.length > 0) errors[field.property] = messages;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, model };
}
