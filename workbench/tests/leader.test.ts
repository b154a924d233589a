import { describe, expect, it } from 'vitest'

import { jobsOf, personOf } from '../src/auth/identity'
import { caseQuery, ledgerFilter, routeQuery } from '../src/ledger'

describe('the ledger’s filters in the address', () => {
  it('reads what the cases API takes and drops the rest', () => {
    expect(ledgerFilter({ status: 'assigned', unit: ' 城关镇人民政府 ', overdue: 'true', page: '3', sort: 'x' })).toEqual({
      status: 'assigned',
      unit: '城关镇人民政府',
      township: '',
      overdue: true,
      page: 3,
    })
    expect(ledgerFilter({ status: 'gone', page: '-1', township: ['河口镇', '城关镇'] })).toEqual({
      status: '',
      unit: '',
      township: '河口镇',
      overdue: false,
      page: 1,
    })
  })

  it('writes back only what is set, and asks the API for that page', () => {
    const filter = ledgerFilter({ township: '河口镇', page: '2' })
    expect(routeQuery(filter)).toEqual({ township: '河口镇', page: '2' })
    expect(routeQuery(ledgerFilter({}))).toEqual({})
    expect(caseQuery(filter, 20)).toEqual({
      status: undefined,
      unit: undefined,
      township: '河口镇',
      overdue: undefined,
      page: 2,
      page_size: 20,
    })
  })
})

describe('each role’s menu', () => {
  it('gives 县领导 and 查看人员 the read-only pages, and the leader 审签 (销号工作规程)', () => {
    const titles = ['总览', '案件台账', '超期清单']
    expect(jobsOf(personOf({ sub: 'l', role: 'leader' })).map((j) => j.title)).toEqual(['总览', '待审签', ...titles.slice(1)])
    expect(jobsOf(personOf({ sub: 'v', role: 'viewer' })).map((j) => j.title)).toEqual(titles)
  })

  it('gives the 交办表 upload to 督察办 and 受理员, whom intake lets upload', () => {
    expect(jobsOf(personOf({ sub: 'o', role: 'operator' })).map((j) => j.path)).toContain('/office/batches')
    expect(jobsOf(personOf({ sub: 'u', role: 'unit', unit: '城关镇人民政府' })).map((j) => j.path)).not.toContain('/office/batches')
  })
})
