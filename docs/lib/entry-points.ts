/**
 * Maps every published package's `exports` to the source file behind it, through the package's
 * `tsup.config.ts` entry map: export `./sqlite` → `./dist/sqlite.d.ts` → tsup entry `sqlite` →
 * `src/sqlite.ts`. Anything that does not map is reported, never guessed.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, extname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/** One documented module: a source file and the import specifiers that reach it. */
export interface EntryPoint {
  /** The first specifier that reaches `source`, e.g. `@countersign/store/sqlite`. */
  specifier: string
  /** Other specifiers that resolve to the same source file (e.g. `@countersign/core/web`). */
  aliases: string[]
  /** Absolute path of the source file. */
  source: string
  packageName: string
  packageDir: string
}

/**
 * Exports whose source cannot be derived from the tsup entry map, keyed by specifier, valued by
 * a path relative to the package directory. Empty while every export follows
 * `./dist/<entry>.d.ts`; add a line here rather than weakening the check.
 */
const ENTRY_OVERRIDES: Readonly<Record<string, string>> = {}

/** Export keys that are not code. */
const NON_CODE_EXPORTS = new Set(['./package.json', './config.schema.json'])

interface PackageJson {
  name?: string
  private?: boolean
  exports?: unknown
}

type TsupEntry = string | string[] | Record<string, string> | undefined

/** The `types` (else `import`/`default`) target of one export condition block. */
function typesTarget(target: unknown): string | undefined {
  if (typeof target === 'string') {
    return target
  }
  if (target && typeof target === 'object') {
    const block = target as Record<string, unknown>
    for (const condition of ['types', 'import', 'default']) {
      const value = block[condition]
      if (typeof value === 'string') {
        return value
      }
      if (value && typeof value === 'object') {
        const nested = typesTarget(value)
        if (nested) {
          return nested
        }
      }
    }
  }
  return undefined
}

/** Loads `tsup.config.ts` (Node strips its types) and returns entry name → absolute source path. */
async function tsupEntries(packageDir: string): Promise<Map<string, string>> {
  const file = join(packageDir, 'tsup.config.ts')
  const entries = new Map<string, string>()
  if (!existsSync(file)) {
    return entries
  }
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown }
  let config = mod.default
  if (typeof config === 'function') {
    config = await (config as (overrides: object) => unknown)({})
  }
  const configs = Array.isArray(config) ? config : [config]
  for (const c of configs) {
    const entry = (c as { entry?: TsupEntry } | undefined)?.entry
    if (typeof entry === 'string') {
      entries.set(basename(entry, extname(entry)), resolve(packageDir, entry))
    } else if (Array.isArray(entry)) {
      for (const e of entry) {
        entries.set(basename(e, extname(e)), resolve(packageDir, e))
      }
    } else if (entry && typeof entry === 'object') {
      for (const [name, path] of Object.entries(entry)) {
        entries.set(name, resolve(packageDir, path))
      }
    }
  }
  return entries
}

/**
 * Every public (non-private) package under `packagesDir`, every code export, mapped to its
 * source. `problems` lists each export that could not be mapped; callers should fail on any.
 */
export async function collectEntryPoints(
  packagesDir: string,
): Promise<{ entryPoints: EntryPoint[]; problems: string[] }> {
  const entryPoints: EntryPoint[] = []
  const problems: string[] = []
  const dirs = readdirSync(packagesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(packagesDir, d.name, 'package.json')))
    .map((d) => join(packagesDir, d.name))
    .sort()
  for (const packageDir of dirs) {
    const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as PackageJson
    if (pkg.private || !pkg.name) {
      continue
    }
    const where = relative(resolve(packagesDir, '..'), packageDir)
    if (!pkg.exports || typeof pkg.exports !== 'object') {
      problems.push(`${pkg.name} (${where}): package.json has no "exports" map`)
      continue
    }
    let entries: Map<string, string>
    try {
      entries = await tsupEntries(packageDir)
    } catch (error) {
      problems.push(`${pkg.name}: could not load tsup.config.ts: ${String(error)}`)
      continue
    }
    const bySource = new Map<string, EntryPoint>()
    for (const [key, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (NON_CODE_EXPORTS.has(key)) {
        continue
      }
      const specifier = key === '.' ? pkg.name : `${pkg.name}/${key.replace(/^\.\//, '')}`
      if (key.includes('*')) {
        problems.push(`${specifier}: wildcard exports are not supported by the docs build`)
        continue
      }
      let source: string | undefined
      const override = ENTRY_OVERRIDES[specifier]
      if (override) {
        source = resolve(packageDir, override)
      } else {
        const out = typesTarget(target)
        const name = out?.match(/^\.\/dist\/(.+?)\.(?:d\.ts|js|mjs)$/)?.[1]
        if (!name) {
          problems.push(
            `${specifier}: target ${JSON.stringify(out)} is not ./dist/<entry>.d.ts; add it to ENTRY_OVERRIDES in docs/lib/entry-points.ts`,
          )
          continue
        }
        source = entries.get(name)
        if (!source) {
          problems.push(
            `${specifier}: ${where}/tsup.config.ts has no entry "${name}" (entries: ${[...entries.keys()].join(', ') || 'none'})`,
          )
          continue
        }
      }
      if (!existsSync(source)) {
        problems.push(`${specifier}: source ${relative(packagesDir, source)} does not exist`)
        continue
      }
      const seen = bySource.get(source)
      if (seen) {
        seen.aliases.push(specifier)
        continue
      }
      const entry: EntryPoint = {
        specifier,
        aliases: [],
        source,
        packageName: pkg.name,
        packageDir,
      }
      bySource.set(source, entry)
      entryPoints.push(entry)
    }
  }
  return { entryPoints, problems }
}
