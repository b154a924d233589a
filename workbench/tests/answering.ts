/** An Api whose every request gets one canned response, and the list of what was sent (url, init). */
import { Api, type TokenSource } from '../src/api/client'

export const tokens: TokenSource = { token: () => Promise.resolve('t1'), renew: () => Promise.resolve(null) }

export function answering(response: Response) {
  const sent: { url: string; init: RequestInit }[] = []
  const api = new Api(tokens, '/api', (url, init) => {
    sent.push({ url, init })
    return Promise.resolve(response)
  })
  return { api, sent }
}
