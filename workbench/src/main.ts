/**
 * The workbench's composition root (工作台): reads config.json, finishes or starts the sign-in, then mounts the app
 * with the session and the API client that carries its token. Nothing else starts anything.
 */
import 'element-plus/dist/index.css'
import './style.css'

import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import { createApp, h } from 'vue'

import { Api } from './api/client'
import App from './App.vue'
import { startSession, type Session } from './auth/session'
import BootError from './components/BootError.vue'
import { loadConfig } from './config'
import { API, SESSION } from './context'
import { workbenchRouter } from './router'

function mountWorkbench(target: Element, session: Session): void {
  const app = createApp(App)
  app.use(ElementPlus, { locale: zhCn })
  app.use(workbenchRouter())
  app.provide(SESSION, session)
  app.provide(API, new Api(session))
  app.mount(target)
}

function mountError(target: Element, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error)
  const app = createApp({ render: () => h(BootError, { message }) })
  app.use(ElementPlus, { locale: zhCn })
  app.mount(target)
}

async function boot(target: Element): Promise<void> {
  // Development only: a pasted `make token` (auth/devToken.ts), in the Vite dev server alone. The condition is a
  // constant when building, so a production build contains neither the branch nor the module.
  if (import.meta.env.DEV) {
    const dev = await import('./auth/devBoot')
    if (dev.bootDev(target, mountWorkbench)) return
  }
  const config = await loadConfig()
  const session = await startSession(config, window.location)
  if (session !== null) mountWorkbench(target, session)
}

const target = document.getElementById('app')
if (target !== null) boot(target).catch((error: unknown) => mountError(target, error))
