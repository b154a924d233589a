import { describe, expect, it } from 'vitest'

import { ApiError } from '../src/api/problems'
import { assignmentLetter, assignmentLetterName } from '../src/api/projections'
import { answering } from './answering'

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'

describe('交办函', () => {
  it('reads the case\'s letter from projections as a Word document, with the bearer', async () => {
    const { api, sent } = answering(new Response(new Uint8Array([0x50, 0x4b, 3, 4]), { status: 200, headers: { 'Content-Type': DOCX } }))
    const blob = await assignmentLetter(api, 'ISS/1')
    const [read] = sent
    expect(read?.url).toBe('/api/projections/v1/cases/ISS%2F1/assignment-letter.docx')
    expect(new Headers(read?.init.headers).get('Authorization')).toBe('Bearer t1')
    expect(blob.type).toBe(DOCX)
    expect(assignmentLetterName('ISS-1')).toBe('交办函-ISS-1.docx')
  })

  it('gives the service\'s code when the case has no letter yet', async () => {
    const refusal = { error: { code: 'not_assigned', message: '问题 c1 尚未交办，没有交办函' } }
    const { api } = answering(new Response(JSON.stringify(refusal), { status: 409, headers: { 'Content-Type': 'application/json' } }))
    const failed = assignmentLetter(api, 'c1')
    await expect(failed).rejects.toBeInstanceOf(ApiError)
    await expect(failed).rejects.toMatchObject({ problem: { code: 'not_assigned' } })
  })
})
