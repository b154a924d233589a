import { describe, expect, it } from 'vitest'

import { Api, address, type TokenSource } from '../src/api/client'
import { ApiError } from '../src/api/problems'

interface Sent {
  url: string
  method: string
  headers: Headers
  body: unknown
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })
}

function recorder(...answers: Response[]) {
  const sent: Sent[] = []
  const fetcher = (url: string, init: RequestInit): Promise<Response> => {
    sent.push({ url, method: init.method ?? 'GET', headers: new Headers(init.headers), body: init.body })
    const answer = answers.shift()
    return answer === undefined ? Promise.reject(new TypeError('no answer')) : Promise.resolve(answer)
  }
  return { sent, fetcher }
}

function tokens(first: string, fresh: string | null = null): TokenSource & { renewals: number } {
  const source = {
    renewals: 0,
    token: () => Promise.resolve(first),
    renew: () => {
      source.renewals += 1
      return Promise.resolve(fresh)
    },
  }
  return source
}

describe('the API client', () => {
  it('sends a command through the proxy with the bearer, If-Match and JSON', async () => {
    const { sent, fetcher } = recorder(json(200, { version: 4 }, { ETag: '"4"' }))
    const api = new Api(tokens('t1'), '/api', fetcher)
    const out = await api.command('cases', '/v1/cases/c1/progress', { note: '已拆除', percent: 40 }, 3)
    expect(out).toEqual({ version: 4 })
    expect(sent[0]?.url).toBe('/api/cases/v1/cases/c1/progress')
    expect(sent[0]?.method).toBe('POST')
    expect(sent[0]?.headers.get('Authorization')).toBe('Bearer t1')
    expect(sent[0]?.headers.get('If-Match')).toBe('3')
    expect(sent[0]?.body).toBe('{"note":"已拆除","percent":40}')
  })

  it('throws a conflict naming both versions when the case changed since it was shown', async () => {
    const { fetcher } = recorder(json(409, { error: { code: 'version_conflict', message: '数据已被他人修改', current_version: 6 } }))
    const api = new Api(tokens('t1'), '/api', fetcher)
    const error = await api.command('cases', '/v1/cases/c1/verify', { passed: true }, 5).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).problem.kind).toBe('conflict')
    expect((error as ApiError).message).toContain('您看到的是第 5 版，现为第 6 版')
  })

  it('throws the 422 with its fields', async () => {
    const body = { error: { code: 'invalid_request', message: '请求内容有误，请检查字段：note', fields: [{ field: 'note', message: 'Field required', type: 'missing' }] } }
    const { fetcher } = recorder(json(422, body))
    const api = new Api(tokens('t1'), '/api', fetcher)
    const error = (await api.command('cases', '/v1/cases/c1/progress', {}, 1).catch((e: unknown) => e)) as ApiError
    expect(error.problem.fields).toEqual([{ field: 'note', message: '必填' }])
  })

  it('asks for a fresh token once when the services say it expired, and sends the request again', async () => {
    const expired = json(401, { error: { code: 'token_expired', message: '登录已过期，请重新登录' } })
    const { sent, fetcher } = recorder(expired, json(200, { items: [] }))
    const source = tokens('old', 'new')
    const answer = await new Api(source, '/api', fetcher).get('cases', '/v1/cases', { status: 'assigned', unit: undefined })
    expect(answer.data).toEqual({ items: [] })
    expect(source.renewals).toBe(1)
    expect(sent.map((s) => s.headers.get('Authorization'))).toEqual(['Bearer old', 'Bearer new'])
    expect(sent[0]?.url).toBe('/api/cases/v1/cases?status=assigned')
  })

  it('does not renew for a token the services refuse for another reason', async () => {
    const { fetcher } = recorder(json(401, { error: { code: 'token_invalid', message: '身份凭证无效，请重新登录' } }))
    const source = tokens('bad')
    const error = (await new Api(source, '/api', fetcher).get('cases', '/v1/cases').catch((e: unknown) => e)) as ApiError
    expect(source.renewals).toBe(0)
    expect(error.problem).toMatchObject({ kind: 'signin', message: '身份凭证无效，请重新登录' })
  })

  it('reads the version from the ETag', async () => {
    const { fetcher } = recorder(json(200, { case_id: 'c1' }, { ETag: 'W/"12"' }))
    const answer = await new Api(tokens('t'), '/api', fetcher).get('cases', '/v1/cases/c1')
    expect(answer.version).toBe(12)
  })

  it('says in Chinese that the server cannot be reached when nothing answers', async () => {
    const { fetcher } = recorder()
    const error = (await new Api(tokens('t'), '/api', fetcher).get('cases', '/v1/cases').catch((e: unknown) => e)) as ApiError
    expect(error.problem).toMatchObject({ kind: 'network', message: '无法连接服务器，请检查网络后重试' })
  })

  it('encodes query values', () => {
    expect(address('/api', 'cases', '/v1/cases', { unit: '城关镇人民政府', page: 2, overdue: true })).toBe(
      '/api/cases/v1/cases?unit=%E5%9F%8E%E5%85%B3%E9%95%87%E4%BA%BA%E6%B0%91%E6%94%BF%E5%BA%9C&page=2&overdue=true',
    )
  })
})
