import { join } from "node:path";
import { freePort } from "../../local-stack/free_port.ts";
import { LocalStack } from "../../local-stack/stack.ts";
import { benchReportsDir } from "./report.ts";

/**
 * Runs `work` against a fresh local stack (all migrations, no seed) on free
 * ports, in a folder under `.nightshift/bench/`, and deletes it afterwards.
 */
export async function withThrowawayStack<T>(
  name: string,
  work: (stack: LocalStack) => Promise<T>,
): Promise<T> {
  const dir = join(benchReportsDir, `${name}-stack-${Deno.pid}`);
  const stack = await LocalStack.start({
    dir,
    dbPort: freePort(),
    apiPort: freePort(),
    seed: false,
  });
  try {
    return await work(stack);
  } finally {
    await stack.stop();
    Deno.removeSync(dir, { recursive: true });
  }
}
