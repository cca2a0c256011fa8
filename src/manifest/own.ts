/**
 * Assigns an own enumerable property. Plain `o[k] = v` would treat a user key "__proto__" as the
 * prototype setter and silently drop it.
 */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}
