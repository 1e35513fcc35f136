/** The console's entry point: sign-in, navigation by hash, sign-out. */
import { ApiError, api, setCsrf } from './api.ts'
import { announce, field, h } from './dom.ts'
import { auditView, keysView, signingView, tokensView } from './views.ts'

const VIEWS: Array<[string, string, (main: HTMLElement) => Promise<void>]> = [
  ['keys', 'API keys', keysView],
  ['tokens', 'Tokens', tokensView],
  ['signing-keys', 'Signing keys', signingView],
  ['audit', 'Audit log', auditView],
]

let signedIn: { name: string; actor: string } | undefined

function main(): HTMLElement {
  return document.getElementById('main') as HTMLElement
}

function signInView(message = ''): void {
  ;(document.getElementById('nav') as HTMLElement).replaceChildren()
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault()
    const input = document.getElementById('admin-key') as HTMLInputElement
    try {
      const session = await api<{ csrf: string; name: string; actor: string }>('POST', 'session', {
        key: input.value,
      })
      input.value = ''
      setCsrf(session.csrf)
      signedIn = session
      location.hash = '#keys'
      render()
    } catch (error) {
      input.value = ''
      announce((error as Error).message)
      signInView((error as Error).message)
    }
  }
  main().replaceChildren(
    h('h1', { tabindex: '-1', id: 'view-title' }, 'Sign in'),
    ...(message ? [h('p', { class: 'error', role: 'alert' }, message)] : []),
    h(
      'form',
      { 'aria-label': 'Sign in', onsubmit: (event) => void submit(event) },
      field('Admin API key', 'admin-key', {
        type: 'password',
        autocomplete: 'off',
        required: true,
      }),
      h('button', { type: 'submit' }, 'Sign in'),
    ),
  )
}

async function signOut(): Promise<void> {
  await api('DELETE', 'session').catch(() => {})
  signedIn = undefined
  setCsrf('')
  signInView('You are signed out.')
}

function render(): void {
  announce('')
  if (signedIn === undefined) {
    signInView()
    return
  }
  const current =
    VIEWS.find(([id]) => `#${id}` === location.hash) ?? (VIEWS[0] as (typeof VIEWS)[number])
  ;(document.getElementById('nav') as HTMLElement).replaceChildren(
    h(
      'ul',
      {},
      ...VIEWS.map(([id, label]) =>
        h(
          'li',
          {},
          h(
            'a',
            { href: `#${id}`, ...(id === current[0] ? { 'aria-current': 'page' } : {}) },
            label,
          ),
        ),
      ),
    ),
    h('span', { class: 'who' }, `Signed in as ${signedIn.name || signedIn.actor}`),
    h('button', { type: 'button', id: 'sign-out', onclick: () => void signOut() }, 'Sign out'),
  )
  current[2](main())
    .then(() => (document.getElementById('view-title') as HTMLElement | null)?.focus())
    .catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) {
        signedIn = undefined
        signInView('Your session ended: sign in again.')
        return
      }
      announce((error as Error).message)
    })
}

window.addEventListener('hashchange', render)
api<{ csrf: string; name: string; actor: string }>('GET', 'session')
  .then((session) => {
    setCsrf(session.csrf)
    signedIn = session
  })
  .catch(() => {})
  .finally(render)
