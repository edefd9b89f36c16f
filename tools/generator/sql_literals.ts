/** A SQL string literal, quotes doubled. */
export function textLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL `text[]` constructor of literals. */
export function textArray(values: readonly string[]): string {
  return `array[${values.map(textLiteral).join(", ")}]::text[]`;
}

/** A SQL `double precision[]` constructor; throws on non-finite numbers. */
export function floatArray(values: readonly number[]): string {
  for (const value of values) {
    if (!Number.isFinite(value)) throw new RangeError(`Not a finite number: ${value}`);
  }
  return `array[${values.join(", ")}]::double precision[]`;
}
