import type { AxiosAdapter, AxiosResponse } from 'axios';
import { AxiosError, AxiosHeaders } from 'axios';

/** One scripted answer: a status (with headers) or a network error code. */
export type Step = number | { status: number; headers?: Record<string, string> } | { code: string };

/**
 * An adapter that answers from a script, the last step repeating, without I/O or timers: a
 * failed status rejects as axios's settle does. `sent()` counts the requests it was given.
 */
export function scripted(...steps: Step[]): AxiosAdapter & { sent: () => number } {
  let sent = 0;
  const adapter = async (config: Parameters<AxiosAdapter>[0]): Promise<AxiosResponse> => {
    const step = steps[Math.min(sent, steps.length - 1)] ?? 200;
    sent += 1;
    if (typeof step === 'object' && 'code' in step) {
      throw AxiosError.from(Object.assign(new Error(step.code), { code: step.code }), step.code, config);
    }
    const { status, headers = {} } = typeof step === 'number' ? { status: step } : step;
    const response: AxiosResponse = { data: '', status, statusText: '', headers: new AxiosHeaders(headers), config };
    if (status < 400) return response;
    const code = status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST;
    throw new AxiosError(`Request failed with status code ${status}`, code, config, undefined, response);
  };
  return Object.assign(adapter, { sent: () => sent });
}
