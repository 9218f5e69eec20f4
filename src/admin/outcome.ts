// Results of the document object's admin methods. Errors thrown across RPC lose their class, so
// expected failures come back as values and become an HttpError on the Worker side.
import { HttpError } from "../http/errors";

export interface Failure {
  status: number;
  code: string;
  message: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Failure };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

export const fail = (status: number, code: string, message: string): Outcome<never> => ({ ok: false, error: { status, code, message } });

/** The value, or the failure thrown as the HttpError it describes. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new HttpError(outcome.error.status, outcome.error.code, outcome.error.message);
  return outcome.value;
}
