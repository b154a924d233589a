import { describe, expect, it } from 'vitest'

import { dayAfter, readsQuery } from '../src/auditReads'

const none = { person: '', resource: '', resourceId: '', fromDay: '', toDay: '' } as const

describe('查阅留痕 asks the API for what the filters say', () => {
  it('leaves blank filters out and pages by offset', () => {
    expect(readsQuery({ ...none }, 3, 50)).toEqual({
      person: undefined,
      resource: undefined,
      resource_id: undefined,
      from: undefined,
      to: undefined,
      limit: 50,
      offset: 100,
    })
  })

  it('takes the picked days as whole days of 北京时间, the last one included', () => {
    const query = readsQuery({ ...none, person: ' wang ', resource: 'contact', fromDay: '2026-07-01', toDay: '2026-07-31' }, 1, 20)
    expect(query).toMatchObject({
      person: 'wang',
      resource: 'contact',
      from: '2026-07-01T00:00:00+08:00',
      to: '2026-08-01T00:00:00+08:00',
      offset: 0,
    })
  })

  it('knows the day after the end of a month and of a year', () => {
    expect(dayAfter('2026-02-28')).toBe('2026-03-01')
    expect(dayAfter('2026-12-31')).toBe('2027-01-01')
  })
})
