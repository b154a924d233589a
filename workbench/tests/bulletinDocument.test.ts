import { describe, expect, it } from 'vitest'

import { bulletinDocument, bulletinDocumentName, issuedBulletins } from '../src/api/documents'
import { ApiError } from '../src/api/problems'
import { answering } from './answering'

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'

describe('督查通报 as a Word document', () => {
  it('lists the year\'s issued bulletins from projections', async () => {
    const list = { total: 1, items: [{ event_id: 'e1', occurred_at: '2026-02-01T09:00:00+08:00', content: { year: 2026, number: 1 } }] }
    const { api, sent } = answering(new Response(JSON.stringify(list), { status: 200, headers: { 'Content-Type': 'application/json' } }))
    const answer = await issuedBulletins(api, 2026)
    expect(sent[0]?.url).toBe('/api/projections/v1/documents/bulletins?year=2026')
    expect(answer.items[0]?.content.number).toBe(1)
  })

  it('reads 第N期 as a Word document, with the bearer, saved under its Chinese name', async () => {
    const { api, sent } = answering(new Response(new Uint8Array([0x50, 0x4b, 3, 4]), { status: 200, headers: { 'Content-Type': DOCX } }))
    const blob = await bulletinDocument(api, 2026, 3)
    const [read] = sent
    expect(read?.url).toBe('/api/projections/v1/documents/bulletins/2026/3.docx')
    expect(new Headers(read?.init.headers).get('Authorization')).toBe('Bearer t1')
    expect(blob.type).toBe(DOCX)
    expect(bulletinDocumentName(2026, 3)).toBe('督查通报-2026年第3期.docx')
  })

  it('gives the service\'s refusal when there is no such bulletin', async () => {
    const refusal = { error: { code: 'not_found', message: '督查通报 2026年第9期 不存在' } }
    const { api } = answering(new Response(JSON.stringify(refusal), { status: 404, headers: { 'Content-Type': 'application/json' } }))
    await expect(bulletinDocument(api, 2026, 9)).rejects.toBeInstanceOf(ApiError)
  })
})
