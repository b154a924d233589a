/**
 * The signed-in person's session (登录会话): sign-in through the identity provider with the authorization code and
 * PKCE (oidc-client-ts), renewal with the refresh token before the access token expires, sign-in again when the
 * session ended (drafts keep the unsent forms, drafts.ts), and sign-out at the identity provider.
 *
 * The user (tokens) is kept in sessionStorage: the browser tab's, gone when it closes. The route the person was on
 * travels in the sign-in request's `state` and is opened again after the redirect back.
 */
import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts'
import { shallowRef, type Ref } from 'vue'

import type { TokenSource } from '../api/client'
import type { WorkbenchConfig } from '../config'
import { clearAllDrafts } from '../drafts'
import { claimsOf, personOf, type Person } from './identity'

export interface Session extends TokenSource {
  readonly kind: 'oidc' | 'dev'
  readonly person: Ref<Person | null>
  signOut(): Promise<void>
}

export class SignInError extends Error {}

/** The route inside the workbench (the part after #), as a safe path to come back to. */
export function currentRoute(hash: string): string {
  const route = hash.replace(/^#/, '')
  return returnPath(route)
}

export function returnPath(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : '/'
}

function isCallback(search: string): boolean {
  const params = new URLSearchParams(search)
  return params.has('state') && (params.has('code') || params.has('error'))
}

function personFrom(user: User): Person {
  return personOf({ ...user.profile, ...(claimsOf(user.access_token) ?? {}) })
}

export function userManager(config: WorkbenchConfig, origin: string): UserManager {
  return new UserManager({
    authority: config.authority,
    client_id: config.client_id,
    redirect_uri: `${origin}/`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: 'openid profile',
    // Renewed with the refresh token a minute before the access token expires (no hidden iframe).
    automaticSilentRenew: true,
    loadUserInfo: false,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  })
}

/**
 * The session, once the person is signed in; null while the browser is on its way to the sign-in page.
 * Finishes a sign-in when the page is the redirect back from the identity provider.
 */
export async function startSession(config: WorkbenchConfig, location: Location): Promise<Session | null> {
  const manager = userManager(config, location.origin)
  let user: User | null
  if (isCallback(location.search)) {
    try {
      user = await manager.signinRedirectCallback()
    } catch (error) {
      window.history.replaceState(null, '', location.pathname)
      throw new SignInError(`登录未完成：${error instanceof Error ? error.message : String(error)}`)
    }
    window.history.replaceState(null, '', `${location.pathname}#${returnPath(user.state)}`)
  } else {
    user = await manager.getUser()
    if (user !== null && user.expired === true) user = await manager.signinSilent().catch(() => null)
  }
  const signInAgain = async (): Promise<void> => {
    await manager.signinRedirect({ state: currentRoute(window.location.hash) })
  }
  if (user === null) {
    await signInAgain()
    return null
  }
  const person = shallowRef<Person | null>(personFrom(user))
  manager.events.addUserLoaded((loaded) => {
    person.value = personFrom(loaded)
  })
  // Renewal failed (the sign-in ended at the identity provider, or it cannot be reached): sign in again.
  manager.events.addSilentRenewError(() => void signInAgain())
  manager.events.addAccessTokenExpired(() => void signInAgain())
  return {
    kind: 'oidc',
    person,
    async token() {
      const current = await manager.getUser()
      return current !== null && current.expired !== true ? current.access_token : null
    },
    async renew() {
      try {
        const renewed = await manager.signinSilent()
        if (renewed !== null) return renewed.access_token
      } catch {
        // falls through to signing in again
      }
      await signInAgain()
      return null
    },
    async signOut() {
      clearAllDrafts()
      await manager.signoutRedirect()
    },
  }
}
