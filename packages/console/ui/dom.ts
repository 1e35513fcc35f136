/** Tiny DOM helpers: elements are built with text nodes only, never from HTML strings. */

type Child = Node | string | null | undefined | false
type Props = Record<string, string | boolean | ((event: Event) => void) | undefined>

/** Creates an element with attributes, listeners (`on…`) and children. */
export function h(tag: string, props: Props = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2), value)
    } else if (value === true) {
      element.setAttribute(name, '')
    } else if (typeof value === 'string') {
      element.setAttribute(name, value)
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      element.append(child)
    }
  }
  return element
}

/** A labelled input (the label wraps nothing: `for`/`id` pair it). */
export function field(label: string, id: string, props: Props = {}): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, name: id, ...props }),
  )
}

/** A labelled select. */
export function select(label: string, id: string, options: Array<[string, string]>): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, name: id }, ...options.map(([value, text]) => h('option', { value }, text))),
  )
}

/** The value of a form control by id. */
export function value(id: string): string {
  const element = document.getElementById(id) as HTMLInputElement | null
  return element?.value.trim() ?? ''
}

/** A table with a caption and column headers. */
export function table(caption: string, headers: string[], rows: Node[][]): HTMLElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headers.map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell))))),
  )
}

/** Says something to screen readers and sighted users alike. */
export function announce(text: string): void {
  const status = document.getElementById('status')
  if (status !== null) {
    status.textContent = text
  }
}
