/**
 * Who is signed in, read from the access token's claims (身份与岗位): the roles in `realm_access.roles` (Keycloak),
 * or the one `role` of a development token from `make token`; the unit from the `unit` claim. The pages' menu is the
 * jobs of those roles. The services check every request themselves: this only decides what to offer.
 */

export type Role =
  | 'public'
  | 'operator'
  | 'inspection_office'
  | 'unit'
  | 'leader'
  | 'discipline'
  | 'enforcement'
  | 'viewer'

/** The roles' Chinese names, as shared/auth.py ROLE_LABELS has them. */
export const ROLE_LABELS: Record<Role, string> = {
  public: '公众',
  operator: '受理员',
  inspection_office: '督察办',
  unit: '责任单位',
  leader: '县领导',
  discipline: '纪委监委',
  enforcement: '执法人员',
  viewer: '查看人员',
}

export interface Person {
  name: string
  roles: Role[]
  unit: string | null
}

export interface Job {
  path: string
  title: string
  roles: Role[]
}

/** The jobs the workbench has so far, in menu order. */
export const JOBS: Job[] = [
  { path: '/leader/overview', title: '总览', roles: ['leader', 'viewer'] },
  { path: '/leader/to-sign', title: '待审签', roles: ['leader'] },
  { path: '/unit/cases', title: '我的案件', roles: ['unit'] },
  { path: '/office/to-assign', title: '待交办', roles: ['inspection_office'] },
  { path: '/office/to-verify', title: '待验收', roles: ['inspection_office'] },
  { path: '/office/in-procedure', title: '销号程序', roles: ['inspection_office'] },
  { path: '/operator/hotline', title: '热线录入', roles: ['operator'] },
  { path: '/operator/reports', title: '举报查询', roles: ['operator'] },
  { path: '/discipline/measures', title: '问责措施', roles: ['discipline'] },
  { path: '/discipline/units', title: '单位问责记录', roles: ['discipline'] },
  { path: '/discipline/reads', title: '查阅留痕', roles: ['discipline'] },
  { path: '/enforcement/cases', title: '执法案件', roles: ['enforcement'] },
  { path: '/enforcement/new', title: '立案', roles: ['enforcement'] },
  { path: '/cases', title: '案件台账', roles: ['inspection_office', 'leader', 'viewer'] },
  { path: '/office/batches', title: '交办表导入', roles: ['inspection_office', 'operator'] },
  { path: '/office/documents', title: '督查文书', roles: ['inspection_office'] },
  { path: '/overdue', title: '超期清单', roles: ['inspection_office', 'unit', 'leader', 'viewer', 'discipline'] },
]

const KNOWN = new Set<string>(Object.keys(ROLE_LABELS))

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && KNOWN.has(value)
}

/** The claims of a JWT (its middle part); null for anything that is not one. Nothing is verified here. */
export function claimsOf(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1]
  if (part === undefined) return null
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=')
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : null
  } catch {
    return null
  }
}

export function personOf(claims: Record<string, unknown>): Person {
  const realm = claims.realm_access
  const listed =
    typeof realm === 'object' && realm !== null && Array.isArray((realm as { roles?: unknown }).roles)
      ? ((realm as { roles: unknown[] }).roles)
      : []
  const roles = [...listed, claims.role].filter(isRole)
  const name = [claims.name, claims.preferred_username, claims.sub].find(
    (v): v is string => typeof v === 'string' && v !== '',
  )
  const unit = typeof claims.unit === 'string' && claims.unit !== '' ? claims.unit : null
  return { name: name ?? '未知用户', roles: [...new Set(roles)], unit }
}

export function jobsOf(person: Person): Job[] {
  return JOBS.filter((job) => job.roles.some((r) => person.roles.includes(r)))
}

export function roleText(person: Person): string {
  return person.roles.length > 0 ? person.roles.map((r) => ROLE_LABELS[r]).join('、') : '无岗位'
}

export function has(person: Person, role: Role): boolean {
  return person.roles.includes(role)
}
