/**
 * How a page sends a command and shows what came back (办理反馈): success → a message and the case reloaded;
 * 409 → in Chinese, that someone else changed the case (or that its state no longer allows this), and the case
 * reloaded; 422 → the API's message next to each field it names; anything else → its Chinese message.
 */
import { ElMessage, ElMessageBox } from 'element-plus'
import { ref, type Ref } from 'vue'

import { ApiError, messagesByField } from './api/problems'

export interface CommandState {
  /** The 422's messages by the API's field path ('' for the form as a whole). */
  errors: Ref<Record<string, string>>
  busy: Ref<boolean>
  run(action: () => Promise<unknown>, success: string): Promise<boolean>
  /** As `run`, for a command whose answer the page shows (the new issue, measure or case): undefined when refused. */
  answer<T>(action: () => Promise<T>, success: string): Promise<T | undefined>
}

export function useCommand(reload: () => Promise<void> | void): CommandState {
  const errors = ref<Record<string, string>>({})
  const busy = ref(false)

  async function run(action: () => Promise<unknown>, success: string): Promise<boolean> {
    busy.value = true
    errors.value = {}
    try {
      await action()
      ElMessage.success(success)
      await reload()
      return true
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      const problem = error.problem
      if (problem.kind === 'invalid') {
        // The API's own message names the fields by their code; each field's message stands next to it.
        errors.value = messagesByField(problem)
        ElMessage.error('提交的内容有误，请按红字提示修改')
      } else if (problem.kind === 'conflict' || problem.kind === 'rule') {
        void reload()
        void ElMessageBox.alert(problem.message, problem.kind === 'conflict' ? '案件已被他人修改' : '无法办理', {
          type: 'warning',
          confirmButtonText: '知道了',
        })
      } else {
        errors.value = { '': problem.message }
        ElMessage.error(problem.message)
      }
      return false
    } finally {
      busy.value = false
    }
  }

  async function answer<T>(action: () => Promise<T>, success: string): Promise<T | undefined> {
    let value: T | undefined
    const done = await run(async () => {
      value = await action()
    }, success)
    return done ? value : undefined
  }

  return { errors, busy, run, answer }
}

/** The messages of fields that the form does not show, as "field：message" lines, to show above it. */
export function otherErrors(errors: Record<string, string>, shown: string[]): string[] {
  return Object.entries(errors)
    .filter(([field]) => !shown.includes(field))
    .map(([field, message]) => (field === '' ? message : `${field}：${message}`))
}
