/** The env-file reader used for project secrets of the functions. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { EnvFileError, readEnvFile } from "../../local-stack/env_file.ts";

Deno.test("readEnvFile parses NAME=value lines, quotes and comments", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = join(dir, ".env");
    Deno.writeTextFileSync(
      path,
      "# comment\n\nA=1\nexport B = two words # trailing\nC=\"quoted # kept\"\nD='single'\nE=\n",
    );
    assert.deepEqual(readEnvFile(path), {
      A: "1",
      B: "two words",
      C: "quoted # kept",
      D: "single",
      E: "",
    });
    assert.deepEqual(readEnvFile(join(dir, "missing")), {});
    Deno.writeTextFileSync(path, "A=1\nnot a pair\n");
    assert.throws(() => readEnvFile(path), (error: unknown) => {
      assert.ok(error instanceof EnvFileError);
      assert.match(error.message, /\.env:2: expected NAME=value/);
      return true;
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
