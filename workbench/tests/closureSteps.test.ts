import { describe, expect, it } from 'vitest'

import type { Procedure } from '../src/api/cases'
import { nextStep, stepBody, stepFor } from '../src/closureSteps'

const procedure = (review_requested: boolean): Procedure => ({
  steps: [],
  notice_starts: null,
  notice_ends: null,
  notice_summary: null,
  signed_off_by: null,
  review_requested,
})

describe('the closure procedure on a case page', () => {
  it('offers 督察办 the step its status waits for, in order', () => {
    const office = ['inspection_office' as const]
    expect(stepFor({ status: 'awaiting_notice', procedure: procedure(false), filed: false }, office)?.command).toBe(
      'start-notice',
    )
    expect(stepFor({ status: 'in_notice', procedure: procedure(false), filed: false }, office)?.command).toBe(
      'complete-notice',
    )
    expect(stepFor({ status: 'awaiting_review', procedure: procedure(false), filed: false }, office)?.command).toBe(
      'request-review',
    )
    expect(stepFor({ status: 'awaiting_closure', procedure: procedure(false), filed: false }, office)?.command).toBe(
      'close',
    )
    expect(stepFor({ status: 'closed', procedure: null, filed: false }, office)?.command).toBe('file-closure')
  })

  it('gives 审签 to the leader only, and nothing while the province reviews or once filed', () => {
    const signing = { status: 'awaiting_signoff' as const, procedure: procedure(false), filed: false }
    expect(stepFor(signing, ['leader'])?.command).toBe('sign-off')
    expect(stepFor(signing, ['inspection_office'])).toBeNull()
    expect(nextStep({ status: 'awaiting_review', procedure: procedure(true), filed: false })).toBeNull()
    expect(nextStep({ status: 'closed', procedure: null, filed: true })).toBeNull()
    expect(nextStep({ status: 'assigned', procedure: null, filed: false })).toBeNull()
  })

  it('sends its one text field, and nothing when it is empty', () => {
    const notice = nextStep({ status: 'awaiting_notice', procedure: null, filed: false })
    expect(notice).not.toBeNull()
    if (notice === null) return
    expect(stepBody(notice, '河道采砂问题已整改')).toEqual({ summary: '河道采砂问题已整改' })
    expect(stepBody(notice, '  ')).toEqual({})
  })
})
