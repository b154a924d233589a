/** How a page reads from the API: a loading flag, and the Chinese message of a refusal instead of the data. */
import { ref, type Ref } from 'vue'

import { ApiError } from './api/problems'

export interface Reading {
  loading: Ref<boolean>
  problem: Ref<string | null>
  /** The answer of `read`, or undefined after a refusal (its message is in `problem`). */
  read<T>(read: () => Promise<T>): Promise<T | undefined>
}

export function useReading(): Reading {
  const loading = ref(false)
  const problem = ref<string | null>(null)
  async function read<T>(action: () => Promise<T>): Promise<T | undefined> {
    loading.value = true
    try {
      const answer = await action()
      problem.value = null
      return answer
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      problem.value = error.problem.message
      return undefined
    } finally {
      loading.value = false
    }
  }
  return { loading, problem, read }
}
