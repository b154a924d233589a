/**
 * DEVELOPMENT ONLY (开发专用): sign in by pasting a development user's access token from `make token ROLE=… [UNIT=…]`
 * (Keycloak's, 5 minutes), to try pages in Vite's dev server without the redirect to Keycloak.
 *
 * This module exists only in the Vite dev server (`make workbench-dev`, http://127.0.0.1:5173/?dev): main.ts imports
 * it behind `import.meta.env.DEV`, a constant when building, so no build (`make assets`) contains it
 * (tests/unit/test_workbench.py checks dist/ for its marker). Even in the dev server it is offered only on 127.0.0.1
 * or localhost with `?dev` in the address. The token is kept in the browser tab's sessionStorage.
 */
import { shallowRef } from 'vue'

import { clearAllDrafts } from '../drafts'
import { claimsOf, personOf } from './identity'
import type { Session } from './session'

const KEY = 'workbench.devToken'
export const MARKER = '开发令牌（仅限开发环境）'

export function requested(location: Location): boolean {
  const local = location.hostname === '127.0.0.1' || location.hostname === 'localhost'
  return local && new URLSearchParams(location.search).has('dev')
}

export function storedToken(): string | null {
  return sessionStorage.getItem(KEY)
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token.trim().replace(/^Bearer\s+/i, ''))
}

export function devSession(token: string): Session {
  const claims = claimsOf(token) ?? {}
  return {
    kind: 'dev',
    person: shallowRef(personOf(claims)),
    token: () => Promise.resolve(token),
    // A pasted token cannot be renewed: the API's 401 message tells the developer to paste a new one.
    renew: () => Promise.resolve(null),
    signOut() {
      clearAllDrafts()
      sessionStorage.removeItem(KEY)
      window.location.reload()
      return Promise.resolve()
    },
  }
}
