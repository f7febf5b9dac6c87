import { accept, reject, type IdentifierCheck } from './result.js';

/** Syntactic check only; the domain is lower-cased, the local part kept as given. */
export function validateEmail(raw: string | null | undefined): IdentifierCheck {
  if (raw == null || raw.trim() === '') return reject('missing');
  const text = raw.trim();
  const at = text.lastIndexOf('@');
  if (at < 1 || at === text.length - 1) return reject('no local part or domain');
  const local = text.slice(0, at);
  const domain = text.slice(at + 1).toLowerCase();
  if (local.length > 64 || !/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/.test(local) || /^\.|\.\.|\.$/.test(local)) {
    return reject('invalid local part');
  }
  if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domain)) return reject('invalid domain');
  return accept(`${local}@${domain}`);
}
