import { describe, expect, it } from 'vitest'

import type { EnforcementCase, Order, Penalty } from '../src/api/enforcement'
import { dailyRound, previewNonCompliance, type Preview } from '../src/dailyPenalty'
import shared from './daily-penalty.json'

type Scenario = (typeof shared.scenarios)[number]

/** The case as the API would show it after the scenario's commands (only what the preview reads is filled in). */
function caseOf(s: Scenario): { item: EnforcementCase; order: Order } {
  const penalties = s.fines_fen.map(
    (fen, i) => ({ penalty_id: `fine-${i}`, basis: 'fine', decision_no: `县环罚〔2024〕${i}号`, amount_fen: fen }) as Penalty,
  )
  const reinspections = s.order.reinspections.map((r) => ({
    inspected_on: r.inspected_on,
    complied: r.complied,
    result_label: r.complied ? '已改正' : '拒不改正',
    note: null,
  }))
  const order: Order = {
    order_id: 'order-w',
    requirements: '停止超标排放',
    served_on: s.order.served_on,
    deadline: s.order.deadline,
    status: reinspections.some((r) => r.complied) ? 'complied' : 'pending',
    status_label: '',
    reinspections,
  }
  const item = { penalties, production_stopped_on: s.production_stopped_on, rectification_orders: [order] }
  return { item: item as unknown as EnforcementCase, order }
}

/** The preview in the shape of the service's answer in the file. */
function asService(preview: Preview): Record<string, unknown> {
  switch (preview.kind) {
    case 'round': {
      const r = preview.round
      return {
        round: {
          period_start: r.periodStart,
          period_end: r.periodEnd,
          days: r.days,
          daily_fen: String(r.dailyFen),
          amount_fen: String(r.amountFen),
        },
      }
    }
    case 'no_round':
      return { no_round: true }
    case 'refused':
      return { refused: preview.code, message: preview.message }
  }
}

describe('the daily continuous penalty shown before it is issued', () => {
  it('is, on every scenario, what the enforcement service issues or refuses (the same file is its test)', () => {
    expect(shared.scenarios.length).toBeGreaterThanOrEqual(12)
    for (const s of shared.scenarios) {
      const { item, order } = caseOf(s)
      expect({ name: s.name, answer: asService(previewNonCompliance(item, order, s.inspected_on)) }).toEqual({
        name: s.name,
        answer: s.expect,
      })
    }
  })

  it('names the original fine it multiplies', () => {
    const { item, order } = caseOf(shared.scenarios[0] as Scenario)
    expect(previewNonCompliance(item, order, '2024-03-05')).toMatchObject({ kind: 'round', originalDecisionNo: '县环罚〔2024〕0号' })
  })

  it('counts both ends of the period and stays exact in fen', () => {
    expect(dailyRound(5_321_055n, '2024-02-20', '2024-03-05')).toEqual({
      periodStart: '2024-02-21',
      periodEnd: '2024-03-05',
      days: 14,
      dailyFen: 5_321_055n,
      amountFen: 74_494_770n,
    })
    expect(dailyRound(100n, '2024-03-01', '2024-03-01')).toBeNull()
  })
})
