import { describe, expect, it } from 'vitest'

import { claimsOf, jobsOf, personOf, roleText } from '../src/auth/identity'
import { returnPath } from '../src/auth/session'
import { deadlineOn, shownMoment, timeLeft } from '../src/time'

function jwt(claims: object): string {
  const bytes = new TextEncoder().encode(JSON.stringify(claims))
  const part = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  return `eyJhbGciOiJSUzI1NiJ9.${part}.sig`
}

describe('who is signed in', () => {
  it('reads Keycloak’s realm roles and the unit claim, ignoring the realm’s default roles', () => {
    const claims = claimsOf(
      jwt({ sub: 'u1', preferred_username: 'dev-unit-1', name: '王建国', unit: '城关镇人民政府', realm_access: { roles: ['unit', 'offline_access', 'default-roles-county'] } }),
    )
    const person = personOf(claims ?? {})
    expect(person).toEqual({ name: '王建国', roles: ['unit'], unit: '城关镇人民政府' })
    expect(roleText(person)).toBe('责任单位')
    expect(jobsOf(person).map((j) => j.title)).toEqual(['我的案件', '超期清单'])
  })

  it('reads the one role of a make-token development token', () => {
    const person = personOf(claimsOf(jwt({ sub: '督察办', role: 'inspection_office' })) ?? {})
    expect(person).toEqual({ name: '督察办', roles: ['inspection_office'], unit: null })
    expect(jobsOf(person).map((j) => j.title)).toEqual([
      '待交办',
      '待验收',
      '销号程序',
      '案件台账',
      '交办表导入',
      '督查文书',
      '超期清单',
    ])
  })

  it('offers no job to a role the workbench has no page for', () => {
    expect(jobsOf(personOf({ sub: 'x', role: 'public' }))).toEqual([])
  })

  it('offers the operator, the discipline commission and enforcement their own pages', () => {
    const titles = (role: string) => jobsOf(personOf({ sub: 'x', realm_access: { roles: [role] } })).map((j) => j.title)
    expect(titles('operator')).toEqual(['热线录入', '举报查询', '交办表导入'])
    expect(titles('discipline')).toEqual(['问责措施', '单位问责记录', '查阅留痕', '超期清单'])
    expect(titles('enforcement')).toEqual(['执法案件', '立案'])
  })

  it('reads nothing from what is not a token', () => {
    expect(claimsOf('not a token')).toBeNull()
  })

  it('comes back only to a path inside the workbench after sign-in', () => {
    expect(returnPath('/cases/abc')).toBe('/cases/abc')
    expect(returnPath('//evil.example')).toBe('/')
    expect(returnPath('https://evil.example')).toBe('/')
    expect(returnPath(undefined)).toBe('/')
  })
})

describe('deadlines', () => {
  const now = Date.parse('2026-06-01T10:00:00+08:00')

  it('shows the time left', () => {
    expect(timeLeft('2026-06-04T14:00:00+08:00', now)).toEqual({ text: '剩 3 天 4 小时', overdue: false })
    expect(timeLeft('2026-06-01T15:30:00+08:00', now)).toEqual({ text: '剩 5 小时', overdue: false })
  })

  it('shows how long a deadline is overdue', () => {
    expect(timeLeft('2026-05-30T10:00:00+08:00', now)).toEqual({ text: '已超期 2 天', overdue: true })
    expect(timeLeft(null, now)).toBeNull()
  })

  it('shows moments as the county reads them and makes a picked date 18:00 Beijing time', () => {
    expect(shownMoment('2026-12-15T18:00:00+08:00')).toBe('2026-12-15 18:00')
    expect(deadlineOn('2026-12-15')).toBe('2026-12-15T18:00:00+08:00')
  })
})
