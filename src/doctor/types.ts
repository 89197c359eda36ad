// What one doctor check found. A problem carries the exact fix; when the fix is a JSON edit, it
// also carries that edit as data (file and the object to merge in), so a person can paste it and
// a test can apply it.

/** ok: fine; warning: worth knowing, does not fail the doctor; problem: agents will not run as expected. */
export type FindingStatus = 'ok' | 'warning' | 'problem';

/** A JSON edit: deep-merge `merge` into the JSON file `file` (creating the file if it is missing). */
export interface JsonPatch {
  file: string;
  merge: Record<string, unknown>;
}

export interface Finding {
  /** Which check: tmux, claude, layout, trust, onboarding, auth, bypass. */
  check: string;
  status: FindingStatus;
  /** One line: what was found. */
  summary: string;
  /** What to do, in words a person can follow (problems and warnings). */
  fix?: string;
  patch?: JsonPatch;
}

export const ok = (check: string, summary: string): Finding => ({ check, status: 'ok', summary });
export const problem = (check: string, summary: string, fix: string, patch?: JsonPatch): Finding => ({
  check,
  status: 'problem',
  summary,
  fix,
  ...(patch ? { patch } : {}),
});
export const warning = (check: string, summary: string, fix: string): Finding => ({
  check,
  status: 'warning',
  summary,
  fix,
});

/** Deep-merges plain objects (arrays and scalars in `add` replace); used to apply a JsonPatch. */
export function mergeJson(base: Record<string, unknown>, add: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(add)) {
    const old = out[key];
    const isObj = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = isObj(old) && isObj(value) ? mergeJson(old, value) : value;
  }
  return out;
}
