import { describe, expect, it } from 'vitest'

import type { Contact } from '../src/api/intake'
import { contactShown, readFrom } from '../src/contacts'

const contact = (over: Partial<Contact>): Contact => ({
  report_id: 'r1',
  channel: 'api',
  received_at: '2026-07-01T09:00:00+08:00',
  name: null,
  phone: null,
  original_text: null,
  ...over,
})

describe("the operator's page shows each reporter's contact as intake answered it", () => {
  it('shows a name and phone left, and 未留 for what was not', () => {
    expect(contactShown(contact({ name: '李四', phone: '13912345678' }))).toEqual({
      name: '李四',
      phone: '13912345678',
      erased: false,
    })
    expect(contactShown(contact({ phone: '0710-3123456' }))).toEqual({ name: '未留', phone: '0710-3123456', erased: false })
  })

  it('says 已依申请删除 for an erased contact rather than 未留 or an empty field', () => {
    const erased = contact({ erased: true, erased_at: '2026-07-02T10:00:00+08:00', erased_notice: '已依申请删除' })
    expect(contactShown(erased)).toEqual({ name: '已依申请删除', phone: '已依申请删除', erased: true })
    expect(contactShown(contact({ erased: true })).name).toBe('已依申请删除')
  })

  it('shows where a read came from, and 未记录 for reads recorded before addresses were', () => {
    const read = { actor: 'wang', read_at: '2026-07-01T09:00:00+08:00', report_ids: ['r1'] }
    expect(readFrom({ ...read, address: '203.0.113.7' })).toBe('203.0.113.7')
    expect(readFrom(read)).toBe('未记录')
  })
})
