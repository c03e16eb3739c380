// Compiles the theme's Sass (policysite/theme/sass/) against govuk-frontend into
// policysite/theme/assets/govuk/, with only the fonts and images the CSS asks for.
// Run from the repository root: `npm ci && npm run build:theme`.
//
//   assets/govuk/theme.css           the default theme (no GOV.UK brand)
//   assets/govuk/brand/theme.css     with `govuk_brand: true`, and the fonts
//   assets/govuk/brand/fonts/…       and images it refers to
import { copyFileSync, mkdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const modules = join(repo, "node_modules");
const frontendAssets = join(modules, "govuk-frontend", "dist", "govuk", "assets");
const out = join(here, "assets", "govuk");

const builds = [
  { entry: "theme.scss", folder: out, unbranded: true },
  { entry: "theme-brand.scss", folder: join(out, "brand") },
];

rmSync(out, { recursive: true, force: true });
// Rules for the crown and crest, which only the brand shows: left out of the
// default theme so that nothing in it names them.
const BRAND_ONLY = /govuk-footer__(crown|copyright-logo)/;
function withoutBrandRules(css) {
  return css.replace(/([^{}]+)\{[^{}]*\}/g, (rule, selectors) =>
    selectors.split(",").every((s) => BRAND_ONLY.test(s)) ? "" : rule);
}

for (const { entry, folder, unbranded } of builds) {
  const result = sass.compile(join(here, "sass", entry), {
    loadPaths: [modules],
    style: "compressed",
    quietDeps: true,
  });
  mkdirSync(folder, { recursive: true });
  // Compressed CSS starts with a byte order mark when it holds non-ASCII text: drop it.
  let css = result.css.replace(/^\uFEFF/, "") + "\n";
  if (unbranded) css = withoutBrandRules(css);
  writeFileSync(join(folder, "theme.css"), css);
  const wanted = new Set([...css.matchAll(/url\("?([^")]+)"?\)/g)].map((m) => m[1]));
  for (const rel of wanted) {
    if (/^(data:|https?:|#)/.test(rel)) continue;
    const from = join(frontendAssets, rel);
    if (!existsSync(from)) {
      console.error(`${entry}: the CSS refers to ${rel}, which govuk-frontend does not have`);
      process.exit(1);
    }
    mkdirSync(dirname(join(folder, rel)), { recursive: true });
    copyFileSync(from, join(folder, rel));
  }
  console.log(`${entry} -> ${join(folder, "theme.css").slice(repo.length + 1)} (${css.length} bytes, ${wanted.size} files it refers to)`);
}
