/** The pages of 受理员 (operator), 纪委监委 (discipline) and 执法 (enforcement), added to the router as they are. */
import type { RouteRecordRaw } from 'vue-router'

import AuditReads from './discipline/AuditReads.vue'
import ImposeMeasure from './discipline/ImposeMeasure.vue'
import Measures from './discipline/Measures.vue'
import UnitRecord from './discipline/UnitRecord.vue'
import EnforcementCase from './enforcement/EnforcementCase.vue'
import EnforcementCases from './enforcement/EnforcementCases.vue'
import OpenCase from './enforcement/OpenCase.vue'
import HotlineCall from './operator/HotlineCall.vue'
import ReportLookup from './operator/ReportLookup.vue'

export const roleRoutes: RouteRecordRaw[] = [
  { path: '/operator/hotline', component: HotlineCall, meta: { title: '热线录入' } },
  { path: '/operator/reports/:id?', component: ReportLookup, props: true, meta: { title: '举报查询' } },
  { path: '/discipline/measures', component: Measures, meta: { title: '问责措施' } },
  { path: '/discipline/measures/new', component: ImposeMeasure, meta: { title: '作出问责' } },
  { path: '/discipline/units/:unit?', component: UnitRecord, props: true, meta: { title: '单位问责记录' } },
  { path: '/discipline/reads', component: AuditReads, meta: { title: '查阅留痕' } },
  { path: '/enforcement/cases', component: EnforcementCases, meta: { title: '执法案件' } },
  { path: '/enforcement/cases/:id', component: EnforcementCase, props: true, meta: { title: '执法案件详情' } },
  { path: '/enforcement/new', component: OpenCase, meta: { title: '立案' } },
]
