/** One page per job (岗位页面). Hash addresses, so that the proxy serves index.html for every page as it is. */
import { createRouter, createWebHashHistory, type Router } from 'vue-router'

import CaseDetail from './views/CaseDetail.vue'
import CaseLedger from './views/CaseLedger.vue'
import Home from './views/Home.vue'
import Overview from './views/leader/Overview.vue'
import AssignCase from './views/office/AssignCase.vue'
import BatchUpload from './views/office/BatchUpload.vue'
import CaseQueue from './views/office/CaseQueue.vue'
import Documents from './views/office/Documents.vue'
import ClosureProcedure from './views/office/ClosureProcedure.vue'
import Overdue from './views/Overdue.vue'
import UnitCases from './views/unit/UnitCases.vue'
import { roleRoutes } from './views/roleRoutes'

export function workbenchRouter(): Router {
  return createRouter({
    history: createWebHashHistory(),
    routes: [
      { path: '/', component: Home },
      { path: '/unit/cases', component: UnitCases, meta: { title: '我的案件' } },
      {
        path: '/office/to-assign',
        component: CaseQueue,
        props: { status: 'reported', title: '待交办', action: '交办' },
        meta: { title: '待交办' },
      },
      {
        path: '/office/to-verify',
        component: CaseQueue,
        props: { status: 'closure_requested', title: '待验收', action: '验收' },
        meta: { title: '待验收' },
      },
      {
        path: '/leader/to-sign',
        component: CaseQueue,
        props: { status: 'awaiting_signoff', title: '待审签', action: '审签' },
        meta: { title: '待审签' },
      },
      { path: '/office/in-procedure', component: ClosureProcedure, meta: { title: '销号程序' } },
      { path: '/overdue', component: Overdue, meta: { title: '超期清单' } },
      { path: '/leader/overview', component: Overview, meta: { title: '总览' } },
      { path: '/cases', component: CaseLedger, meta: { title: '案件台账' } },
      { path: '/office/batches', component: BatchUpload, meta: { title: '交办表导入' } },
      { path: '/office/documents', component: Documents, meta: { title: '督查文书' } },
      { path: '/office/batches/:uploadId', component: BatchUpload, props: true, meta: { title: '导入结果' } },
      { path: '/cases/:id', component: CaseDetail, props: true, meta: { title: '案件详情' } },
      { path: '/cases/:id/assign', component: AssignCase, props: true, meta: { title: '交办' } },
      ...roleRoutes,
      { path: '/:rest(.*)*', redirect: '/' },
    ],
  })
}
