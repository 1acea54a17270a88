// api.mjs: every call to lotsd's /api/v1 goes through api().
//
// The session token lives in sessionStorage (gone when the tab closes, cleared at
// logout). Any 401 on a call other than the login itself means the session ended:
// onUnauthorized (set by app.mjs) sends the user to the login page; the forms'
// drafts are already in sessionStorage (forms.mjs) and are restored after login.

const TOKEN = 'lotsbok.token';
const ME = 'lotsbok.me';
let unauthorizedHandler = null;
const writeHandlers = [];

export class ApiError extends Error {
    constructor(status, code, message, field, body) {
        super(message || code);
        this.status = status;
        this.code = code;
        this.field = field || null;
        this.body = body || null;
    }
}

export function onUnauthorized(fn) { unauthorizedHandler = fn; }
// fn() after every successful write (not GET), e.g. to refresh the menu counts.
export function onWrite(fn) { writeHandlers.push(fn); }
// Replaces the stored user record (GET /me: role, units, counts).
export function setMe(u) { sessionStorage.setItem(ME, JSON.stringify(u)); }
export function token() { return sessionStorage.getItem(TOKEN); }
export function me() {
    try { return JSON.parse(sessionStorage.getItem(ME) || 'null'); } catch { return null; }
}

// A random Idempotency-Key (works on plain http too, unlike crypto.randomUUID).
export function newKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
}

// Calls METHOD /api/v1PATH with an optional JSON body (a Blob or File is sent as
// it is, with its own type: an import's file). Resolves to the parsed
// JSON (null for 204), rejects with ApiError (status 0, code 'network' when the
// server cannot be reached). opts.key: Idempotency-Key for a POST; opts.raw:
// resolve to the Response instead (for downloads).
export async function api(method, path, body, opts) {
    const o = opts || {};
    const headers = {Accept: 'application/json'};
    const tok = token();
    if (tok) headers.Authorization = `Bearer ${tok}`;
    const file = body instanceof Blob;
    if (body !== undefined) headers['Content-Type'] = file ? body.type || 'application/octet-stream' : 'application/json';
    if (method === 'POST') headers['Idempotency-Key'] = o.key || newKey();
    if (o.ifMatch !== undefined) headers['If-Match'] = String(o.ifMatch);
    let res;
    try {
        res = await fetch(`/api/v1${path}`, {
            method, headers, body: body === undefined || file ? body : JSON.stringify(body),
            cache: 'no-store', credentials: 'omit',
        });
    } catch (e) {
        throw new ApiError(0, 'network', String(e));
    }
    if (res.status === 401 && path !== '/sessions') {
        sessionStorage.removeItem(TOKEN);
        sessionStorage.removeItem(ME);
        if (unauthorizedHandler) unauthorizedHandler();
        throw new ApiError(401, 'unauthorized');
    }
    if (res.ok && method !== 'GET' && path !== '/sessions') for (const fn of writeHandlers) fn();
    if (res.ok && o.raw) return res;
    if (res.status === 204) return null;
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    if (!res.ok) {
        const e = (data && data.error) || {};
        throw new ApiError(res.status, e.code || `http_${res.status}`, e.message, e.field, e);
    }
    return data;
}

// Logs in: stores the token and the user record; resolves to the user.
export async function login(username, password) {
    const s = await api('POST', '/sessions', {username, password});
    sessionStorage.setItem(TOKEN, s.token);
    const u = await api('GET', '/me');
    sessionStorage.setItem(ME, JSON.stringify(u));
    return u;
}

// Logs out on the server (best effort) and forgets everything this tab kept.
export async function logout() {
    try { await api('DELETE', '/sessions/current'); } catch { /* the session may be gone already */ }
    sessionStorage.clear();
}

// Every page of a list (limit 500 a page, at most `max` items).
export async function listAll(path, max) {
    const out = [];
    let after = null;
    const sep = path.includes('?') ? '&' : '?';
    do {
        const page = await api('GET', `${path}${sep}limit=500${after ? `&after=${after}` : ''}`);
        out.push(...page.items);
        after = page.next;
    } while (after && out.length < (max || 5000));
    return out;
}

// Cached GETs of records that rarely change within a page view (company names).
const cache = new Map();
export function cached(path) {
    if (!cache.has(path)) cache.set(path, api('GET', path).catch(e => { cache.delete(path); throw e; }));
    return cache.get(path);
}
export function forget(path) { cache.delete(path); }
