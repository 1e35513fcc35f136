/**
 * Reading typed values out of parsed options, with usage errors that name the option.
 *
 * @module
 */
import { CliError, EXIT } from '../cli-error.ts'
import type { OptionValues } from '../command.ts'

/** A string option, or `undefined`. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

/** The values of a repeatable string option. */
export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name]
  if (Array.isArray(value)) {
    return value.filter((v): v is string => typeof v === 'string')
  }
  return typeof value === 'string' ? [value] : []
}

/** An integer option in `[min, max]`, or `fallback` when absent. */
export function integerOption(
  values: OptionValues,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = stringOption(values, name)
  if (text === undefined) {
    return fallback
  }
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliError(EXIT.usage, `--${name} must be an integer from ${min} to ${max}`)
  }
  return value
}

/** A choice among `choices`, or `fallback` when absent. */
export function choiceOption<T extends string>(
  values: OptionValues,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const text = stringOption(values, name)
  if (text === undefined) {
    return fallback
  }
  if (!(choices as readonly string[]).includes(text)) {
    throw new CliError(EXIT.usage, `--${name} must be one of ${choices.join(', ')}`)
  }
  return text as T
}
