/** What every page asks for: the session (who is signed in) and the API client that carries their token. */
import { inject, type InjectionKey } from 'vue'

import type { Api } from './api/client'
import type { Session } from './auth/session'

export const SESSION: InjectionKey<Session> = Symbol('session')
export const API: InjectionKey<Api> = Symbol('api')

export function useSession(): Session {
  const session = inject(SESSION)
  if (session === undefined) throw new Error('useSession() outside the workbench app')
  return session
}

export function useApi(): Api {
  const api = inject(API)
  if (api === undefined) throw new Error('useApi() outside the workbench app')
  return api
}
