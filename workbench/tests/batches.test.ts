import { describe, expect, it } from 'vitest'

import { Api } from '../src/api/client'
import { uploadBatch, type BatchReport } from '../src/api/intake'
import { recentUploads, remember, rowResults, summaryOf } from '../src/batches'

import { MemoryStorage } from './memoryStorage'

function report(uploadId = 'u1'): BatchReport {
  return {
    upload_id: uploadId,
    file_name: '第二轮交办表.xlsx',
    file_sha256: 'ab'.repeat(32),
    source: 'central_inspection',
    uploaded_at: '2026-06-30T10:00:00+08:00',
    rows: 5,
    accepted_count: 3,
    refused_count: 2,
    created_count: 1,
    accepted: [
      { row: 4, batch: '第二轮', serial: '3', issue_id: 'i3', status: 'already_received', message: '该报告此前已受理', version: 2 },
      { row: 2, batch: '第二轮', serial: '1', issue_id: 'i1', status: 'accepted', message: '已受理，问题编号 i1', version: 1 },
      { row: 3, batch: '第二轮', serial: '2', issue_id: 'i0', status: 'linked', message: '该问题已有人反映', version: null },
    ],
    refused: [
      { row: 6, batch: null, serial: null, reasons: ['批次为空', '序号为空'] },
      { row: 5, batch: '第二轮', serial: '4', reasons: ['领域“沙场”无法识别'] },
    ],
  }
}

describe('a 交办表’s result, row by row', () => {
  it('lists every row in the file’s order with what became of it and intake’s reasons', () => {
    expect(rowResults(report()).map((r) => [r.row, r.label, r.detail, r.issueId])).toEqual([
      [2, '已受理（新问题）', '已受理，问题编号 i1', 'i1'],
      [3, '重复（并入已有问题）', '该问题已有人反映', 'i0'],
      [4, '此前已导入', '该报告此前已受理', 'i3'],
      [5, '未导入', '领域“沙场”无法识别', null],
      [6, '未导入', '批次为空；序号为空', null],
    ])
  })

  it('counts the rows by outcome', () => {
    expect(summaryOf(report())).toBe('共 5 行：新问题 1，重复 1，此前已导入 1，未导入 2')
  })

  it('remembers this browser’s uploads newest first, each once, the last 20', () => {
    const storage = new MemoryStorage()
    for (let i = 0; i < 22; i += 1) remember(storage, report(`u${i}`))
    remember(storage, report('u5'))
    const list = recentUploads(storage)
    expect(list).toHaveLength(20)
    expect(list.map((u) => u.upload_id).slice(0, 3)).toEqual(['u5', 'u21', 'u20'])
    expect(list.filter((u) => u.upload_id === 'u5')).toHaveLength(1)
    storage.setItem('workbench.batchUploads', 'not json')
    expect(recentUploads(storage)).toEqual([])
  })
})

describe('the 交办表 upload', () => {
  it('posts the file and its source as multipart, without If-Match or a JSON content type', async () => {
    const sent: { url: string; init: RequestInit }[] = []
    const tokens = { token: () => Promise.resolve('t1'), renew: () => Promise.resolve(null) }
    const api = new Api(tokens, '/api', (url, init) => {
      sent.push({ url, init })
      return Promise.resolve(new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } }))
    })
    await uploadBatch(api, new File(['批次,序号\n'], '交办表.csv', { type: 'text/csv' }), 'provincial_inspection')
    const init = sent[0]?.init
    const headers = new Headers(init?.headers)
    expect(sent[0]?.url).toBe('/api/intake/v1/batches')
    expect(init?.method).toBe('POST')
    expect(headers.get('If-Match')).toBeNull()
    expect(headers.get('Content-Type')).toBeNull()
    expect(headers.get('Authorization')).toBe('Bearer t1')
    const form = init?.body as FormData
    expect(form.get('source')).toBe('provincial_inspection')
    expect((form.get('file') as File).name).toBe('交办表.csv')
  })
})
