// JSON values as Lua table literals, for feeding sample objects to the Argo
// CD health scripts under a plain Lua interpreter (which has no JSON parser).
// null and undefined become nil (absent), as Argo CD's JSON-to-Lua bridge does.

/** A Lua string literal: printable ASCII as is, every other byte as \ddd. */
export function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, "utf8")) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c;
    out += printable ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, "0")}`;
  }
  return `${out}"`;
}

export function toLua(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  switch (typeof value) {
    case "boolean":
      return String(value);
    case "number":
      if (!Number.isFinite(value)) throw new Error(`no Lua literal for ${value}`);
      return String(value);
    case "string":
      return luaString(value);
    case "object":
      if (Array.isArray(value)) {
        if (value.some((v) => v === null || v === undefined)) {
          throw new Error("arrays with null elements would have holes in Lua");
        }
        return `{${value.map(toLua).join(", ")}}`;
      }
      return `{${Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => `[${luaString(k)}] = ${toLua(v)}`)
        .join(", ")}}`;
    default:
      throw new Error(`no Lua literal for a ${typeof value}`);
  }
}
