/**
 * Helpers of the dashboard's browser tests: Debian's Chromium driven by
 * playwright-core, headless, with a fresh profile, collecting every console
 * error and page error so a test can require there were none.
 */
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { runtimeRoot } from "../../local-stack/paths.ts";

/** Where the dashboard under test is served (`./nightshift test` sets it). */
export const dashboardUrl: string = Deno.env.get("NIGHTSHIFT_TEST_DASHBOARD_URL") ??
  "http://127.0.0.1:54323";

/** Git-ignored folder of the screenshots of every view. */
export const screenshotDir: string = join(runtimeRoot, "screenshots");

/** Flags this environment needs (no sandbox as root, no GPU, no background traffic). */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser with a fresh profile, and the errors its pages reported. */
export interface TestBrowser {
  readonly context: BrowserContext;
  /** Console errors and uncaught page errors, as `<url>: <text>`. */
  readonly errors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Launches Chromium (`NIGHTSHIFT_TEST_CHROMIUM`, else /usr/bin/chromium) with a new profile. */
export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = Deno.env.get("NIGHTSHIFT_TEST_CHROMIUM") || "/usr/bin/chromium";
  try {
    Deno.statSync(executablePath);
  } catch {
    throw new Error(
      `Chromium not found at ${executablePath}: install it with \`apt-get install chromium\``,
    );
  }
  const profile = Deno.makeTempDirSync({ prefix: "nightshift-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`${page.url()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
  };
  context.pages().forEach(watch);
  context.on("page", watch);
  return {
    context,
    errors,
    async newPage() {
      const page = await context.newPage();
      return page;
    },
    async close() {
      await context.close();
      Deno.removeSync(profile, { recursive: true });
    },
  };
}

/** Signs in with a pasted token using the keyboard only: label → type → Enter. */
export async function signInWithToken(page: Page, token: string): Promise<void> {
  await page.goto(dashboardUrl);
  await page.getByLabel("Access token or service-role key").focus();
  await page.keyboard.type(token, { delay: 0 });
  await page.keyboard.press("Enter");
}

/** Form fields of the page without an accessible name (label, aria-label or aria-labelledby). */
export async function unlabelledFields(page: Page): Promise<string[]> {
  // Runs in the page (DOM types are not in this program's lib: `any` there).
  return await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const fields: any[] = [...(globalThis as any).document.querySelectorAll(
      "input, select, textarea",
    )];
    return fields
      .filter((field) =>
        field.type !== "hidden" && (field.labels?.length ?? 0) === 0 &&
        !field.getAttribute("aria-label") && !field.getAttribute("aria-labelledby")
      )
      .map((field) => String(field.outerHTML).slice(0, 120));
  });
}

/** Saves a full-page screenshot as `<screenshotDir>/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  Deno.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Signs in through the email + password form (Supabase Auth), keyboard only. */
export async function signInWithPassword(
  page: Page,
  email: string,
  password: string,
): Promise<void> {
  await page.goto(dashboardUrl);
  await page.getByLabel("Email").focus();
  await page.keyboard.type(email, { delay: 0 });
  await page.getByLabel("Password", { exact: true }).focus();
  await page.keyboard.type(password, { delay: 0 });
  await page.keyboard.press("Enter");
}
