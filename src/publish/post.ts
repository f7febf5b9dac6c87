/**
 * The webhook's POST, made with node:http(s) instead of fetch so that the
 * connection goes to an address checked as it was resolved (checkedLookup):
 * fetch takes no lookup of its own. Redirects are not followed: the body goes
 * where the DPO registered it, nowhere else.
 */
import http from 'node:http';
import https from 'node:https';
import { checkedLookup, ForbiddenReceiver, forbiddenHost, type Resolve } from './receiver-address.js';

export interface Post {
  url: URL;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** How host names are resolved; the system's resolver when not given (tests give their own). */
  resolve?: Resolve;
}

/** Sends the body and settles with the receiver's status once it answers; the answer's body is discarded. */
export function postJson(post: Post): Promise<number> {
  // An address literal is connected to without a lookup: checked here. A name is checked as the connection resolves it.
  if (forbiddenHost(post.url)) return Promise.reject(new ForbiddenReceiver());
  const send = post.url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const request = send(post.url, {
      method: 'POST',
      headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) },
      lookup: checkedLookup(post.resolve),
      signal: AbortSignal.timeout(post.timeoutMs),
    }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end(post.body);
  });
}
