import { describe, expect, it } from 'vitest'

import type { Person } from '../src/auth/identity'
import { confidentialityAction } from '../src/confidentiality'

const assignment = { problem: 'p', task: 't', unit: '城关镇人民政府', leader: { name: '王建国', post: '镇长', liaison: null }, measures: 'm' }
const clerk: Person = { name: 'clerk', roles: ['unit'], unit: '城关镇人民政府' }
const office: Person = { name: 'office', roles: ['inspection_office'], unit: null }

describe('信息公开 on a case page', () => {
  it('offers the unit 不予公开 on its own public case, and nothing once withheld or on another unit’s case', () => {
    expect(confidentialityAction({ confidential: false, assignment }, clerk)?.title).toBe('不予公开')
    expect(confidentialityAction({ confidential: true, assignment }, clerk)).toBeNull()
    expect(confidentialityAction({ confidential: false, assignment }, { ...clerk, unit: '河口镇人民政府' })).toBeNull()
    expect(confidentialityAction({ confidential: false, assignment: null }, clerk)).toBeNull()
  })

  it('offers 督察办 the opposite of what the case is, before 交办 too', () => {
    expect(confidentialityAction({ confidential: false, assignment: null }, office)).toMatchObject({ confidential: true, title: '不予公开' })
    expect(confidentialityAction({ confidential: true, assignment }, office)).toMatchObject({ confidential: false, title: '恢复公开' })
  })

  it('offers the leader and the viewer nothing', () => {
    for (const role of ['leader', 'viewer'] as const)
      expect(confidentialityAction({ confidential: false, assignment }, { name: role, roles: [role], unit: null })).toBeNull()
  })
})
