/** Thrown when a command the local stack runs exits unsuccessfully. */
export class CommandFailedError extends Error {
  override name = "CommandFailedError";
  constructor(readonly command: string, readonly code: number, readonly output: string) {
    super(`Command failed with exit code ${code}: ${command}\n${output.trim()}`);
  }
}

/** Runs a command to completion and returns its stdout; throws `CommandFailedError` on failure. */
export async function runCommand(
  program: string,
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<string> {
  const output = await new Deno.Command(program, {
    args: [...args],
    stdout: "piped",
    stderr: "piped",
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout);
  if (!output.success) {
    throw new CommandFailedError(
      [program, ...args].join(" "),
      output.code,
      stdout + decoder.decode(output.stderr),
    );
  }
  return stdout;
}

/** True when this process runs as root. */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}
