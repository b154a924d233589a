import { describe, expect, it } from 'vitest'

import { ApiError } from '../src/api/problems'
import { fetchEvidence, itemFields, named, uploadEvidence, type StoredFile } from '../src/evidence'
import { answering } from './answering'
const STORED: StoredFile = {
  sha256: 'ab'.repeat(32),
  file_name: 'after.jpg',
  content_type: 'image/jpeg',
  size: 1234,
  uploaded_by: 'dev-unit-1',
  uploaded_at: '2026-12-01T20:00:00+08:00',
}

describe('evidence files', () => {
  it('uploads the file to its case as multipart, with the bearer and no If-Match, and names it by the stored hash', async () => {
    const { api, sent } = answering(new Response(JSON.stringify(STORED), { status: 201, headers: { 'Content-Type': 'application/json' } }))
    const file = new File([new Uint8Array([0xff, 0xd8, 0xff])], 'IMG_0001.jpg', { type: 'image/jpeg' })
    const stored = await uploadEvidence(api, 'case/1', file)
    const [upload] = sent
    expect(upload?.url).toBe('/api/cases/v1/cases/case%2F1/evidence')
    expect(upload?.init.method).toBe('POST')
    const headers = new Headers(upload?.init.headers)
    expect(headers.get('Authorization')).toBe('Bearer t1')
    expect(headers.has('If-Match')).toBe(false)
    expect((upload?.init.body as FormData).get('file')).toBeInstanceOf(File)
    expect(named(stored, '整改后现场照片')).toEqual({ description: '整改后现场照片', file_name: 'after.jpg', sha256: STORED.sha256 })
  })

  it('shows the service\'s refusal of an upload in its own words', async () => {
    const refusal = { error: { code: 'invalid_field', message: '只接受照片（JPEG、PNG、WebP、HEIC）或 PDF 文件', fields: [{ field: 'file', message: '只接受照片' }] } }
    const { api } = answering(new Response(JSON.stringify(refusal), { status: 422, headers: { 'Content-Type': 'application/json' } }))
    const failed = uploadEvidence(api, 'c1', new File(['MZ'], 'a.exe'))
    await expect(failed).rejects.toBeInstanceOf(ApiError)
    await expect(failed).rejects.toMatchObject({ problem: { message: '只接受照片（JPEG、PNG、WebP、HEIC）或 PDF 文件' } })
  })

  it('reads a stored file as a blob of its type with the bearer', async () => {
    const { api, sent } = answering(new Response(new Uint8Array([1, 2, 3]), { status: 200, headers: { 'Content-Type': 'image/png' } }))
    const blob = await fetchEvidence(api, 'c1', STORED.sha256)
    const [read] = sent
    expect(read?.url).toBe(`/api/cases/v1/cases/c1/evidence/${STORED.sha256}`)
    expect(new Headers(read?.init.headers).get('Authorization')).toBe('Bearer t1')
    expect(blob.type).toBe('image/png')
    expect(blob.size).toBe(3)
  })

  it('lists the field paths a 422 may name for each file of a list', () => {
    expect(itemFields('photos', 2)).toEqual([
      'photos.0.description', 'photos.0.file_name', 'photos.0.sha256',
      'photos.1.description', 'photos.1.file_name', 'photos.1.sha256',
    ])
  })
})
