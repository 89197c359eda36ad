// Records keyed by names and ids that people type: `__proto__` or `constructor` is no key of theirs.

/** record[key] when the record itself holds key (never what Object.prototype has under that name). */
export const own = <T>(record: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined =>
  record && Object.hasOwn(record, key) ? record[key] : undefined;
