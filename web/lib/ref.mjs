// ref.mjs: the reference data every screen names things with — the configured
// units (GET /units: the same display names as the quarterly report) and the
// staff directory (GET /users: display names for usernames) — fetched once
// after login and kept in sessionStorage for the session, so no screen spends
// a request of its own on them.
//
// UNITS in sv.mjs is filled in place from here, so label(UNITS, code) works in
// every view; before the first load it is empty and a code shows as itself.

import {api} from './api.mjs';
import {UNITS} from './sv.mjs';

const KEY = 'lotsbok.ref';
let ref = null;

function apply() {
    for (const k of Object.keys(UNITS)) delete UNITS[k];
    for (const u of (ref && ref.units) || []) UNITS[u.key] = u.name;
}

function restore() {
    try { ref = JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch { ref = null; }
    apply();
}
restore();

// Whether the reference data is here (it is after loadRefs in this tab).
export function hasRefs() {
    if (!ref) restore();
    return Boolean(ref);
}

// Fetches the units and, for roles that may read it, the staff directory.
export async function loadRefs(user) {
    const directory = ['lots', 'handler', 'admin'].includes(user.role);
    const [units, users] = await Promise.all([
        api('GET', '/units'),
        directory ? api('GET', '/users?limit=500') : Promise.resolve({items: []}),
    ]);
    ref = {
        units: units.items,
        users: users.items.map(u => ({username: u.username, name: u.display_name || null, role: u.role,
            units: u.units || [], disabled: Boolean(u.disabled)})),
    };
    sessionStorage.setItem(KEY, JSON.stringify(ref));
    apply();
}

// The display name of a unit code (the code itself when not configured).
export function unitName(code) {
    return UNITS[code] || code || '';
}

// [[key, name], …] of the configured units, in configuration order.
export function unitOptions() {
    return ((ref && ref.units) || []).map(u => [u.key, u.name]);
}

// The name a colleague is shown by: the display name, else the username.
export function personName(username) {
    if (!username) return '';
    const u = ref && ref.users.find(x => x.username === username);
    return (u && u.name) || username;
}

// Active users of a role from the directory, sorted by name.
export function people(role) {
    return ((ref && ref.users) || []).filter(u => u.role === role && !u.disabled)
        .sort((a, b) => (a.name || a.username).localeCompare(b.name || b.username, 'sv'));
}
