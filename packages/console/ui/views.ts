/** The console's views: API keys, tokens, signing keys, audit log. */
import { api, BASE } from './api.ts'
import { announce, field, h, select, table, value } from './dom.ts'

type Row = Record<string, unknown>

function heading(text: string): HTMLElement {
  return h('h1', { tabindex: '-1', id: 'view-title' }, text)
}

function when(iso: unknown): string {
  return typeof iso === 'string' ? new Date(iso).toLocaleString() : '—'
}

/** Shows a key (and secret) once, with a copy button; "Hide" removes it from the page. */
function shownOnce(slot: HTMLElement, created: Row, note?: string): void {
  const pairs: Array<[string, unknown]> = [
    ['API key', created.key],
    ['Signing secret', created.secret],
  ]
  const secrets = pairs.filter(([, v]) => typeof v === 'string')
  const panel = h(
    'section',
    { class: 'once', role: 'alert', 'aria-labelledby': 'once-title' },
    h('h2', { id: 'once-title' }, 'Copy it now: it is shown only once'),
    note ? h('p', {}, note) : null,
    ...secrets.map(([label, secret]) =>
      h(
        'div',
        { class: 'secret' },
        h('span', {}, `${label}: `),
        h('code', { 'data-secret': '' }, String(secret)),
        h(
          'button',
          {
            type: 'button',
            onclick: () =>
              void navigator.clipboard
                ?.writeText(String(secret))
                .then(() => announce(`${label} copied`)),
          },
          `Copy ${label}`,
        ),
      ),
    ),
    h(
      'button',
      {
        type: 'button',
        id: 'hide-secret',
        onclick: () => {
          panel.remove()
          announce('Hidden; it cannot be shown again')
        },
      },
      'I stored it: hide',
    ),
  )
  slot.replaceChildren(panel)
  ;(panel.querySelector('button') as HTMLElement).focus()
}

async function keyAction(path: string, method = 'POST', body: unknown = undefined): Promise<Row> {
  return api(method, path, body ?? (method === 'POST' ? {} : undefined))
}

function keyRow(key: Row, slot: HTMLElement, refresh: () => void): Node[] {
  const id = String(key.id)
  const graceId = `grace-${id}`
  const state = String(key.state)
  const toggle = state === 'disabled' ? 'enable' : 'disable'
  const actions = h(
    'div',
    { class: 'actions' },
    h(
      'button',
      {
        type: 'button',
        onclick: () =>
          void keyAction(`keys/${id}/${toggle}`).then(() => {
            announce(`Key ${toggle}d`)
            refresh()
          }),
      },
      toggle === 'enable' ? 'Enable' : 'Disable',
    ),
    h('label', { for: graceId }, 'Grace (s)'),
    h('input', {
      id: graceId,
      type: 'number',
      min: '0',
      value: '60',
      class: 'short',
      'aria-label': `Reroll grace in seconds for ${String(key.name)}`,
    }),
    h(
      'button',
      {
        type: 'button',
        onclick: () =>
          void keyAction(`keys/${id}/reroll`, 'POST', {
            gracePeriodMs: Number(value(graceId)) * 1000,
          }).then((created) => {
            refresh()
            shownOnce(slot, created, `The old key works until ${when(created.oldKeyGraceUntil)}.`)
          }),
      },
      'Reroll',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'danger',
        onclick: () => {
          if (confirm(`Delete key ${String(key.name)}? Calls with it will fail.`)) {
            void keyAction(`keys/${id}`, 'DELETE').then(() => {
              announce('Key deleted')
              refresh()
            })
          }
        },
      },
      'Delete',
    ),
  )
  return [
    document.createTextNode(String(key.name)),
    h('code', {}, id),
    document.createTextNode((key.scopes as string[]).join(' ') || '—'),
    document.createTextNode(state),
    document.createTextNode(when(key.expiresAt)),
    document.createTextNode(
      key.oldKeyGraceUntil ? `old key until ${when(key.oldKeyGraceUntil)}` : '—',
    ),
    actions,
  ]
}

/** API keys: filters, create, the table. */
export async function keysView(main: HTMLElement): Promise<void> {
  const slot = h('div', { id: 'once-slot' })
  const list = h('div', { id: 'key-list' })
  const refresh = (): void => {
    const query = new URLSearchParams({
      q: value('f-q'),
      state: value('f-state'),
      scope: value('f-scope'),
    })
    void api<{ keys: Row[] }>('GET', `keys?${query}`)
      .then(({ keys }) => {
        list.replaceChildren(
          table(
            'API keys',
            ['Name', 'Id', 'Scopes', 'State', 'Expires', 'Reroll grace', 'Actions'],
            keys.map((key) => keyRow(key, slot, refresh)),
          ),
        )
      })
      .catch((error: Error) => announce(error.message))
  }
  const create = async (event: Event): Promise<void> => {
    event.preventDefault()
    const body: Row = {
      name: value('c-name'),
      scopes: value('c-scopes').split(/\s+/).filter(Boolean),
      withSecret: (document.getElementById('c-secret') as HTMLInputElement).checked,
    }
    if (value('c-expires') !== '') {
      body.expiresAt = new Date(value('c-expires')).toISOString()
    }
    if (value('c-limit') !== '') {
      body.rateLimit = {
        limit: Number(value('c-limit')),
        windowMs: Number(value('c-window') || '60') * 1000,
      }
    }
    try {
      const created = await api('POST', 'keys', body)
      ;(event.target as HTMLFormElement).reset()
      shownOnce(slot, created)
      refresh()
    } catch (error) {
      announce((error as Error).message)
    }
  }
  main.replaceChildren(
    heading('API keys'),
    slot,
    h(
      'form',
      {
        class: 'row',
        'aria-label': 'Filter keys',
        onsubmit: (event) => {
          event.preventDefault()
          refresh()
        },
      },
      field('Search name or id', 'f-q', { type: 'search' }),
      select('State', 'f-state', [
        ['', 'any'],
        ['active', 'active'],
        ['disabled', 'disabled'],
        ['expired', 'expired'],
      ]),
      field('Scope', 'f-scope'),
      h('button', { type: 'submit' }, 'Filter'),
    ),
    h(
      'form',
      { class: 'row', 'aria-label': 'Create a key', onsubmit: (event) => void create(event) },
      h('h2', {}, 'Create a key'),
      field('Name', 'c-name', { required: true, maxlength: '200' }),
      field('Scopes (space-separated)', 'c-scopes'),
      field('Expires', 'c-expires', { type: 'datetime-local' }),
      field('Rate limit (calls)', 'c-limit', { type: 'number', min: '1' }),
      field('per (seconds)', 'c-window', { type: 'number', min: '1' }),
      h(
        'div',
        { class: 'field' },
        h('input', { id: 'c-secret', type: 'checkbox' }),
        h('label', { for: 'c-secret' }, 'With an HMAC signing secret'),
      ),
      h('button', { type: 'submit' }, 'Create key'),
    ),
    list,
  )
  refresh()
}

/** Tokens: look up or revoke a parameter or user token given in full. */
export async function tokensView(main: HTMLElement): Promise<void> {
  const out = h('div', { id: 'token-result' })
  const run = async (path: string): Promise<void> => {
    try {
      const answer = await api('POST', `tokens/${path}`, { token: value('t-token') })
      out.replaceChildren(
        h(
          'dl',
          {},
          ...Object.entries(answer).flatMap(([k, v]) => [
            h('dt', {}, k),
            h('dd', {}, typeof v === 'string' ? v : JSON.stringify(v)),
          ]),
        ),
      )
      announce(path === 'revoke' ? 'Token revoked' : `Token is ${String(answer.state)}`)
      if (path === 'revoke') {
        ;(document.getElementById('t-token') as HTMLInputElement).value = ''
      }
    } catch (error) {
      out.replaceChildren(h('p', { class: 'error' }, (error as Error).message))
      announce((error as Error).message)
    }
  }
  main.replaceChildren(
    heading('Tokens'),
    h(
      'p',
      {},
      'Paste a parameter token or a user token. It is sent in the request body, hashed before look-up, and never stored or logged.',
    ),
    h(
      'form',
      {
        class: 'row',
        'aria-label': 'Token',
        onsubmit: (event) => {
          event.preventDefault()
          void run('lookup')
        },
      },
      field('Token', 't-token', { type: 'password', autocomplete: 'off', required: true }),
      h('button', { type: 'submit' }, 'Look up'),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          onclick: () => {
            if (confirm('Revoke this token?')) {
              void run('revoke')
            }
          },
        },
        'Revoke',
      ),
    ),
    out,
  )
}

/** The signing-key ring and the JWKS. */
export async function signingView(main: HTMLElement): Promise<void> {
  const ring = await api<Row & { keys: Row[] }>('GET', 'signing-keys')
  const days = (ms: unknown): string => `${Number(ms) / 86_400_000} days`
  main.replaceChildren(
    heading('Signing keys'),
    h(
      'button',
      {
        type: 'button',
        id: 'rotate-now',
        class: 'danger',
        onclick: () => {
          if (confirm('Rotate the signing key now? New tokens are signed with the next key.')) {
            void api('POST', 'signing-keys/rotate', {})
              .then(() => signingView(main))
              .then(() => announce('Rotated: the next key signs now'))
              .catch((error: Error) => announce(error.message))
          }
        },
      },
      'Rotate now',
    ),
    h(
      'dl',
      {},
      h('dt', {}, 'Algorithm'),
      h('dd', {}, String(ring.algorithm)),
      h('dt', {}, 'Rotates every'),
      h('dd', {}, days(ring.rotateEveryMs)),
      h('dt', {}, 'Overlap'),
      h('dd', {}, days(ring.overlapMs)),
      h('dt', {}, 'Next rotation'),
      h('dd', {}, when(ring.nextRotationAt)),
    ),
    table(
      'Key ring',
      ['Key id', 'State'],
      ring.keys.map((key) => [
        h('code', {}, String(key.kid)),
        document.createTextNode(String(key.state)),
      ]),
    ),
    h('h2', {}, 'Published JWKS'),
    h(
      'pre',
      { id: 'jwks', tabindex: '0', 'aria-label': 'Published JWKS' },
      JSON.stringify(ring.jwks, null, 2),
    ),
  )
}

const AUDIT_FILTERS: Array<[string, string, string]> = [
  ['a-from', 'From', 'datetime-local'],
  ['a-to', 'To', 'datetime-local'],
  ['a-user', 'User', 'text'],
  ['a-key', 'Key id', 'text'],
  ['a-target', 'Target', 'text'],
  ['a-status', 'Status', 'number'],
  ['a-code', 'Code', 'text'],
]

function auditQuery(): URLSearchParams {
  const query = new URLSearchParams()
  for (const [id, , type] of AUDIT_FILTERS) {
    const v = value(id)
    if (v !== '') {
      query.set(id.slice(2), type === 'datetime-local' ? new Date(v).toISOString() : v)
    }
  }
  if (value('a-type') !== '') {
    query.set('type', value('a-type'))
  }
  return query
}

/** The audit log: filters, paging, export. */
export async function auditView(main: HTMLElement): Promise<void> {
  const list = h('div', { id: 'audit-list' })
  const exports = h('p', { class: 'row' })
  const load = async (before?: number): Promise<void> => {
    const query = auditQuery()
    if (before !== undefined) {
      query.set('before', String(before))
    }
    const { events, next } = await api<{ events: Row[]; next: number | null }>(
      'GET',
      `audit?${query}`,
    )
    const cols = ['time', 'type', 'action', 'actor', 'user', 'keyId', 'target', 'status', 'code']
    list.replaceChildren(
      table(
        'Audit events, newest first',
        ['Time', 'Type', 'Action', 'Who', 'User', 'Key', 'Target', 'Status', 'Code'],
        events.map((event) =>
          cols.map((c) =>
            document.createTextNode(
              c === 'time'
                ? new Date(Number(event.time)).toLocaleString()
                : String(event[c] ?? '—'),
            ),
          ),
        ),
      ),
      next === null
        ? h('p', {}, 'No older events.')
        : h('button', { type: 'button', onclick: () => void load(next) }, 'Older events'),
    )
    exports.replaceChildren(
      h('a', { href: `${BASE}/api/audit/export?format=csv&${query}` }, 'Export CSV'),
      ' ',
      h('a', { href: `${BASE}/api/audit/export?format=json&${query}` }, 'Export JSON'),
    )
  }
  main.replaceChildren(
    heading('Audit log'),
    h(
      'form',
      {
        class: 'row',
        'aria-label': 'Filter events',
        onsubmit: (event) => {
          event.preventDefault()
          void load().catch((e: Error) => announce(e.message))
        },
      },
      ...AUDIT_FILTERS.map(([id, label, type]) => field(label, id, { type })),
      select('Type', 'a-type', [
        ['', 'any'],
        ...['verification', 'issuance', 'revocation', 'admin', 'session', 'relay'].map(
          (t): [string, string] => [t, t],
        ),
      ]),
      h('button', { type: 'submit' }, 'Filter'),
    ),
    exports,
    list,
  )
  await load()
}
