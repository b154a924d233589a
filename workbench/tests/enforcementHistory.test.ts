import { describe, expect, it } from 'vitest'

import { enforcementEventDetail } from '../src/enforcementHistory'

function entry(type: string, data: Record<string, unknown>) {
  return { version: 1, type, label: '', actor: 'dev-enforcement', occurred_at: '2024-03-05T10:00:00+08:00', data }
}

describe('an enforcement case’s history in people’s words', () => {
  it('states a daily penalty round with its period and exact amount', () => {
    const round = entry('PenaltyIssued', {
      basis: 'daily_continuous',
      decision_no: '县环按日罚〔2024〕1号',
      days: 14,
      period_start: '2024-02-21',
      period_end: '2024-03-05',
      daily_amount_fen: 5_321_055,
      amount_fen: 74_494_770,
    })
    expect(enforcementEventDetail(round)).toBe(
      '县环按日罚〔2024〕1号 · 按日连续处罚 14 日（2024-02-21 至 2024-03-05）× 53,210.55 元 · 计 744,947.70 元',
    )
  })

  it('names the persons detained with their days, and the closing outcome', () => {
    const detention = entry('DetentionOrdered', { persons: [{ name: '张三', days: 10 }], police_unit: '县公安局' })
    expect(enforcementEventDetail(detention)).toBe('张三 10 日 · 县公安局')
    expect(enforcementEventDetail(entry('EnforcementCaseClosed', { outcome: '移送起诉' }))).toBe('移送起诉')
    expect(enforcementEventDetail(entry('SomethingNew', { outcome: 'x' }))).toBe('')
  })

  it('shows an order’s deadline in Beijing time whatever zone it was stored in', () => {
    const order = (deadline: string) => entry('RectificationOrdered', { requirements: '拆除暗管', served_on: '2024-02-20', deadline })
    expect(enforcementEventDetail(order('2024-03-01T09:00:00Z'))).toBe('拆除暗管 · 2024-02-20 送达 · 改正期限 2024-03-01（周五）17:00')
    expect(enforcementEventDetail(order('2024-03-01T17:00:00+08:00'))).toContain('改正期限 2024-03-01（周五）17:00')
  })
})
