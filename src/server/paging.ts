/** Pages of the lists paged by key (schemas/common.ts, PageAfterId and PageLimit). */

/**
 * A page's `next`: the last item's key when the page is full, so that a
 * caller pages on without working out whether there may be more; absent on
 * a short page, the last.
 */
export function nextOf<T, K>(items: readonly T[], limit: number, key: (item: T) => K): { next?: K } {
  const last = items.at(-1);
  return items.length >= limit && last !== undefined ? { next: key(last) } : {};
}
