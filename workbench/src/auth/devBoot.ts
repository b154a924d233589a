/** DEVELOPMENT ONLY: the pasted-token sign-in's page and session (see devToken.ts for when it exists at all). */
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import { createApp, h } from 'vue'

import DevSignIn from '../components/DevSignIn.vue'
import { devSession, requested, storedToken } from './devToken'
import type { Session } from './session'

/** True when the development sign-in took over this page (its form, or the workbench on a pasted token). */
export function bootDev(target: Element, mount: (target: Element, session: Session) => void): boolean {
  if (!requested(window.location)) return false
  const token = storedToken()
  if (token !== null) {
    mount(target, devSession(token))
    return true
  }
  const app = createApp({ render: () => h(DevSignIn) })
  app.use(ElementPlus, { locale: zhCn })
  app.mount(target)
  return true
}
