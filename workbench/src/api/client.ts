/**
 * The one way the pages reach the services: `/api/<service>/…` on the page's own origin (the proxy), with the
 * signed-in person's access token as the bearer, and `If-Match` on every command on something that exists (a case,
 * a measure): the version the page showed. A command that makes something new (`create`) has no version to send.
 *
 * The token comes from a `TokenSource`: the OIDC session (auth/session.ts) in production, a pasted development
 * token only in a development build (auth/devToken.ts). When the services answer 401 because the token expired,
 * the client asks the source once for a fresh token and sends the request again; if there is none, the source
 * signs the person in again (their unsent forms are kept as drafts, see drafts.ts) and the request fails.
 */
import { ApiError, problemOf } from './problems'

export type Service = 'intake' | 'cases' | 'enforcement' | 'accountability' | 'projections'

export interface TokenSource {
  /** The current access token, or null when nobody is signed in. */
  token(): Promise<string | null>
  /** A fresh token after the services refused this one as expired; null when it could not be had. */
  renew(): Promise<string | null>
}

export type Query = Record<string, string | number | boolean | undefined>

export interface Answer<T> {
  data: T
  /** The stream's version from the ETag, when the answer carries one. */
  version?: number
}

type Fetch = (input: string, init: RequestInit) => Promise<Response>

export function versionOf(etag: string | null): number | undefined {
  if (etag === null) return undefined
  const tag = etag.replace(/^W\//, '').replaceAll('"', '')
  return /^\d+$/.test(tag) ? Number(tag) : undefined
}

export function address(base: string, service: Service, path: string, query?: Query): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') params.set(name, String(value))
  }
  const search = params.toString()
  return `${base}/${service}${path}${search ? `?${search}` : ''}`
}

export class Api {
  private readonly tokens: TokenSource
  private readonly base: string
  private readonly fetcher: Fetch

  constructor(tokens: TokenSource, base = '/api', fetcher: Fetch = (input, init) => fetch(input, init)) {
    this.tokens = tokens
    this.base = base
    this.fetcher = fetcher
  }

  get<T>(service: Service, path: string, query?: Query): Promise<Answer<T>> {
    return this.send<T>(address(this.base, service, path, query), { method: 'GET' })
  }

  /** A command: POST with a JSON body, decided on `version` (If-Match); a stale version is a 409 conflict. */
  async command<T>(service: Service, path: string, body: unknown, version: number): Promise<T> {
    return (await this.post<T>(service, path, body, version)).data
  }

  /** A command that makes something new (立案, 问责措施, 热线录入): there is no version yet, so no If-Match. */
  async create<T>(service: Service, path: string, body: unknown): Promise<T> {
    return (await this.post<T>(service, path, body)).data
  }

  private post<T>(service: Service, path: string, body: unknown, version?: number): Promise<Answer<T>> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' }
    if (version !== undefined) headers['If-Match'] = String(version)
    const init: RequestInit = { method: 'POST', headers, body: JSON.stringify(body) }
    return this.send<T>(address(this.base, service, path), init, version)
  }

  /**
   * A file upload: POST multipart/form-data (the browser writes the boundary). Not a command on one stream, so no
   * If-Match: intake's batch upload writes one report per row, each its own stream, and is idempotent by row.
   */
  async upload<T>(service: Service, path: string, form: FormData): Promise<T> {
    const answer = await this.send<T>(address(this.base, service, path), { method: 'POST', body: form })
    return answer.data
  }

  /** A file the API serves (a photo, a PDF) as a Blob of its type, read with the session's token like any answer. */
  async file(service: Service, path: string): Promise<Blob> {
    const response = await this.authorized(address(this.base, service, path), { method: 'GET' })
    if (!response.ok) throw new ApiError(problemOf(response.status, await json(response)))
    return response.blob()
  }

  private async send<T>(url: string, init: RequestInit, sentVersion?: number): Promise<Answer<T>> {
    const response = await this.authorized(url, init)
    const body: unknown = await json(response)
    if (!response.ok) throw new ApiError(problemOf(response.status, body, sentVersion))
    return { data: body as T, version: versionOf(response.headers.get('ETag')) }
  }

  /** The request with the session's token, once more with a renewed one when the first had expired. */
  private async authorized(url: string, init: RequestInit): Promise<Response> {
    let response = await this.attempt(url, init, await this.tokens.token())
    if (response.status === 401 && (await expired(response))) {
      const fresh = await this.tokens.renew()
      if (fresh !== null) response = await this.attempt(url, init, fresh)
    }
    return response
  }

  private async attempt(url: string, init: RequestInit, token: string | null): Promise<Response> {
    const headers = new Headers(init.headers)
    headers.set('Accept', 'application/json')
    if (token !== null) headers.set('Authorization', `Bearer ${token}`)
    try {
      return await this.fetcher(url, { ...init, headers })
    } catch {
      throw new ApiError(problemOf(0, undefined))
    }
  }
}

async function json(response: Response): Promise<unknown> {
  const type = response.headers.get('Content-Type') ?? ''
  if (!type.includes('json')) return undefined
  try {
    return await response.json()
  } catch {
    return undefined
  }
}

/** Whether a 401 says the token expired (the one refusal a fresh token mends); reads a clone, the body stays. */
async function expired(response: Response): Promise<boolean> {
  const body = await json(response.clone())
  const code = problemOf(401, body).code
  return code === 'token_expired'
}
