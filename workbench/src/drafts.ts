/**
 * Unsent forms survive a sign-in (草稿): every form that sends a command keeps what was typed in sessionStorage as it
 * is typed, so a redirect to the identity provider (expired session) and back restores it. sessionStorage belongs to
 * the browser tab; a draft is removed once its command succeeded, and all drafts at sign-out.
 */
import { reactive, ref, watch, type Ref } from 'vue'

const PREFIX = 'workbench.draft.'

export interface Draft<T> {
  form: T
  /** True when the form was filled from a saved draft. */
  restored: Ref<boolean>
  clear(): void
}

export function useDraft<T extends object>(key: string, initial: () => T): Draft<T> {
  const name = PREFIX + key
  const saved = sessionStorage.getItem(name)
  let start = initial()
  const restored = ref(false)
  if (saved !== null) {
    try {
      start = { ...start, ...(JSON.parse(saved) as Partial<T>) }
      restored.value = true
    } catch {
      sessionStorage.removeItem(name)
    }
  }
  const form = reactive(start) as T
  let active = true
  watch(
    () => form,
    (value) => {
      if (active) sessionStorage.setItem(name, JSON.stringify(value))
    },
    // Synchronous, so that the reset in clear() is never saved as a draft.
    { deep: true, flush: 'sync' },
  )
  return {
    form,
    restored,
    clear() {
      active = false
      Object.assign(form, initial())
      sessionStorage.removeItem(name)
      restored.value = false
      active = true
    },
  }
}

export function clearAllDrafts(): void {
  const keys = Array.from({ length: sessionStorage.length }, (_, i) => sessionStorage.key(i))
  for (const key of keys) {
    if (key?.startsWith(PREFIX) === true) sessionStorage.removeItem(key)
  }
}
