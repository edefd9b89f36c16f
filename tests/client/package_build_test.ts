/**
 * The client package installs and builds with npm as a consumer would
 * (`npm ci` runs `prepare` → `tsc`), producing ESM + .d.ts that Node imports and
 * a TypeScript consumer type-checks against (row types included).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const CLIENT_DIR = fileURLToPath(new URL("../../client/", import.meta.url));

async function run(command: string, args: string[], cwd: string): Promise<string> {
  const output = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, `${command} ${args.join(" ")} failed:\n${stdout}${stderr}`);
  return stdout;
}

Deno.test({
  name: "client package builds with npm to ESM + types that Node and tsc consumers use",
  // npm and tsc run as child processes that outlive no test.
  sanitizeResources: false,
  fn: async () => {
    await run(
      "npm",
      ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
      CLIENT_DIR,
    );
    for (const file of ["mod.js", "mod.d.ts", "react.js", "react.d.ts"]) {
      await Deno.stat(`${CLIENT_DIR}dist/client/src/${file}`);
    }
    const imported = await run("node", [
      "--input-type=module",
      "-e",
      `const m = await import("./dist/client/src/mod.js");
       console.log(JSON.stringify([typeof m.NightshiftClient, m.datasetTiming("supplier-data"),
         m.nightshiftKeys.dataset("A", "price-alerts")]));`,
    ], CLIENT_DIR);
    assert.deepEqual(JSON.parse(imported.trim().split("\n").at(-1)!), [
      "function",
      { source: "live", freshness: "STABLE", staleTimeMs: 1_800_000, gcTimeMs: 3_600_000 },
      ["nightshift", "a", "datasets", "price-alerts"],
    ]);

    // A TypeScript consumer resolves the package through its exports and gets row types.
    const consumer = await Deno.makeTempDir({ prefix: "nightshift-client-consumer-" });
    try {
      await Deno.mkdir(`${consumer}/node_modules/@nightshift`, { recursive: true });
      await Deno.symlink(CLIENT_DIR, `${consumer}/node_modules/@nightshift/client`);
      await Deno.writeTextFile(`${consumer}/package.json`, '{"type":"module","private":true}');
      await Deno.writeTextFile(
        `${consumer}/tsconfig.json`,
        JSON.stringify({
          compilerOptions: {
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
        }),
      );
      await Deno.writeTextFile(
        `${consumer}/main.ts`,
        `import { type DatasetRow, NightshiftClient } from "@nightshift/client";
         import { useDataset } from "@nightshift/client/react";
         declare const row: DatasetRow<"supplier-data">;
         const phone: string | null = row.phone;
         // @ts-expect-error the supplier's name is a string
         const name: number = row.name;
         export { name, NightshiftClient, phone, useDataset };
        `,
      );
      await run(`${CLIENT_DIR}node_modules/.bin/tsc`, ["-p", "."], consumer);
    } finally {
      await Deno.remove(consumer, { recursive: true });
    }
  },
});
