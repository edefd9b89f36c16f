/** Thrown when an env file has a line that is not `NAME=value`, a comment or blank. */
export class EnvFileError extends Error {
  override name = "EnvFileError";
}

/**
 * Parses a dotenv file (`NAME=value`, optional quotes, `#` comments).
 * A missing file yields an empty record.
 */
export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
  const values: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new EnvFileError(`Invalid line in ${path}:${index + 1}: expected NAME=value`);
    let value = match[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, "");
    values[match[1]!] = value;
  });
  return values;
}
