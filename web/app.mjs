// app.mjs: Lotsbok in the browser — the login, the header (menu with counts,
// handledning, shortcuts, who is logged in), a hash router (#/arende/42) that
// hands the main element to one screen at a time, and the keyboard shortcuts.
//
// Adding a screen: a module in views/ exporting render(main, params, ctx) (async),
// one entry in ROUTES and, for a menu item, its path in MENU.
//
// One screen at a time: a screen renders into a detached element and is put in
// <main> only if no other navigation started meanwhile, so a slow screen that
// finishes after the user moved on is dropped, never stacked under the new one.
// While a screen loads, the old one stays and <main> is aria-busy with a
// progress bar. After each change the page's h1 (or the screen's first field,
// data-autofocus) gets the focus. A 401 from any call brings back the login
// with the screen one was on remembered; drafts survive in sessionStorage.
//
// Menu counts come from GET /me (api.md): at login, once the first screen after a
// page load is shown, after a write, and after a minute on one screen — never as
// part of showing a screen, so each screen keeps to its own requests (DESIGN.md:
// at most three).

import {h, clear, append, announce, field} from './lib/dom.mjs';
import {api, login, logout, me, token, onUnauthorized, onWrite, setMe} from './lib/api.mjs';
import {form} from './lib/forms.mjs';
import {loadRefs, hasRefs, personName} from './lib/ref.mjs';
import {ROLES, errorText} from './lib/sv.mjs';
import {KEYS} from './lib/keys.mjs';
import * as day from './views/day.mjs';
import * as companies from './views/companies.mjs';
import * as casePage from './views/case.mjs';
import * as followup from './views/followup.mjs';
import * as inbox from './views/inbox.mjs';
import * as quarter from './views/quarter.mjs';
import * as improvements from './views/improvements.mjs';
import * as users from './views/users.mjs';
import * as guide from './views/guide.mjs';
import * as plan from './views/plan.mjs';
import * as search from './views/search.mjs';
import * as importPage from './views/import.mjs';
import * as meetings from './views/meetings.mjs';

const RETURN = 'lotsbok.return';
const STAFF = ['lots', 'handler', 'viewer', 'admin'];
const SEARCHERS = ['lots', 'handler', 'admin']; // GET /search refuses a viewer

// {re: path pattern, view, roles ('public': also without login), menu label, badge: a key of me.counts}
const ROUTES = [
    {re: /^$/, view: day, roles: ['lots'], menu: 'Min dag', badge: ['followups_due', 'samtal att ringa']},
    {re: /^foretag$/, view: companies, roles: ['lots', 'admin'], menu: 'Företag'},
    {re: /^foretag\/(\d+)$/, view: companies, roles: ['lots', 'admin', 'handler']},
    {re: /^importera$/, view: importPage, roles: ['lots', 'admin'], menu: 'Importera'},
    {re: /^arende\/([\w-]+)(?:\/(utskrift))?$/, view: casePage, roles: ['lots', 'admin', 'handler']},
    {re: /^uppfoljning\/(\d+)$/, view: followup, roles: ['lots']},
    {re: /^inkorg$/, view: inbox, roles: ['handler', 'lots', 'admin'], menu: 'Inkorg', badge: ['handoffs_new', 'nya överlämningar']},
    {re: /^overlamning\/(\d+)$/, view: inbox, roles: ['handler', 'lots', 'admin']},
    {re: /^kvartal(?:\/(\d{4}-Q[1-4]))?$/, view: quarter, roles: STAFF, menu: 'Kvartal'},
    {re: /^forbattringar(?:\/ny\/(\d+))?$/, view: improvements, roles: ['lots', 'admin', 'viewer'], menu: 'Förbättringar'},
    {re: /^anvandare$/, view: users, roles: ['admin'], menu: 'Användare'},
    {re: /^handledning$/, view: guide, roles: ['public', ...STAFF]},
    {re: /^plan(?:\/(\d{4}))?$/, view: plan, roles: STAFF, menu: 'Handlingsplan'},
    {re: /^plan\/atgard\/([\d.]+)(?:\/(\d{4}))?$/, view: plan.actionView, roles: STAFF},
    {re: /^plan\/rapport(?:\/(\d{4}))?$/, view: plan.reportView, roles: STAFF},
    {re: /^sok(?:\/(.*))?$/, view: search, roles: SEARCHERS},
    {re: /^traffar(?:\/(\d{4}))?$/, view: meetings, roles: STAFF, menu: 'Träffar'},
    {re: /^traff\/ny$/, view: meetings.newView, roles: ['lots', 'admin']},
    {re: /^traff\/(\d+)$/, view: meetings.meetingView, roles: STAFF},
];
const MENU = {
    lots: ['', 'foretag', 'importera', 'inkorg', 'kvartal', 'forbattringar', 'plan', 'traffar'],
    handler: ['inkorg', 'kvartal', 'plan', 'traffar'],
    viewer: ['kvartal', 'forbattringar', 'plan', 'traffar'],
    admin: ['anvandare', 'foretag', 'importera', 'inkorg', 'kvartal', 'forbattringar', 'plan', 'traffar'],
};
const HOME = {lots: '', handler: 'inkorg', viewer: 'kvartal', admin: 'anvandare'};

// Shortcuts: g then a letter goes to a screen (when the role has it).
const GOTO = {d: '', f: 'foretag', i: 'inkorg', k: 'kvartal', b: 'forbattringar', p: 'plan', a: 'anvandare', h: 'handledning'};

function current() {
    const hash = location.hash;
    if (!hash.startsWith('#/')) return '';
    try { return decodeURIComponent(hash.slice(2)); } catch { return hash.slice(2); } // a stray % typed in the address
}

export function go(path) {
    if (current() === path && location.hash.startsWith('#/')) render();
    else location.hash = `#/${path}`;
}

function routeOf(path) {
    return ROUTES.find(r => r.re.test(path));
}

// --- the header ------------------------------------------------------------------

function badgeText(user, r) {
    const n = r.badge && user.counts ? user.counts[r.badge[0]] : undefined;
    return n ? n : null;
}

// The search box (views/search.mjs) is made once and kept, so a menu refresh never
// takes what is being typed; shown to the roles that may search.
let searchForm = null;
function renderSearch(user) {
    const tools = document.getElementById('tools');
    if (!user || !SEARCHERS.includes(user.role)) {
        clear(tools);
        if (searchForm) searchForm.input.value = ''; // the next user does not see the last one's words
        return;
    }
    if (!searchForm) searchForm = search.searchBox(q => {
        const before = location.hash;
        location.hash = `#/${search.searchPath(q)}`;
        if (location.hash === before) render();
    });
    if (searchForm.parentNode !== tools) append(clear(tools), searchForm);
}

function renderChrome(user) {
    renderSearch(user);
    const nav = clear(document.getElementById('nav'));
    const who = clear(document.getElementById('who'));
    const here = current();
    if (user) {
        const items = (MENU[user.role] || []).map(p => {
            const r = routeOf(p);
            const active = p === '' ? here === '' : here === p || here.startsWith(`${p}/`);
            const n = badgeText(user, r);
            return h('li', null, h('a', {href: `#/${p}`, 'aria-current': active ? 'page' : null, 'data-path': p},
                r.menu, n ? h('span', {class: 'badge'}, h('span', {class: 'visually-hidden'}, ', '), String(n),
                    h('span', {class: 'visually-hidden'}, ` ${r.badge[1]}`)) : null));
        });
        append(nav, h('ul', null, items));
    }
    append(who,
        h('a', {href: '#/handledning', 'aria-current': here === 'handledning' ? 'page' : null}, 'Handledning'),
        h('button', {type: 'button', class: 'link wide-only', 'aria-haspopup': 'dialog', onclick: showKeys}, 'Kortkommandon'),
        user ? h('span', {class: 'me'}, `${personName(user.username) || user.username}`,
            h('span', {class: 'role'}, ` · ${ROLES[user.role] || user.role}`)) : null,
        user ? h('button', {type: 'button', class: 'link', onclick: async () => {
            await logout();
            announce('Du är utloggad.');
            location.hash = '#/';
            render();
        }}, 'Logga ut') : null);
}

// Refreshes the menu counts (GET /me) without touching the screen.
let countsTimer = null;
async function refreshCounts() {
    const user = token() ? me() : null;
    if (!user || !['lots', 'handler', 'admin'].includes(user.role)) return;
    try {
        setMe(await api('GET', '/me'));
        renderChrome(me());
    } catch { /* counts are a convenience; the next refresh tries again */ }
}
function scheduleCounts() {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(() => { refreshCounts().then(scheduleCounts); }, 60000);
}
let countsStale = true; // a page load may find a user record of yesterday's counts
onWrite(() => { countsStale = true; });

// --- the shortcut list ---------------------------------------------------------------

let keysDialog = null;
function showKeys() {
    if (!keysDialog) {
        keysDialog = h('dialog', {class: 'keys', 'aria-labelledby': 'keys-h'},
            h('h2', {id: 'keys-h'}, 'Kortkommandon'),
            h('table', null, h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Tangent'), h('th', {scope: 'col'}, 'Gör'))),
                h('tbody', null, KEYS.map(([k, t]) => h('tr', null, h('td', null, h('kbd', null, k)), h('td', null, t))))),
            h('p', null, 'Kortkommandona gäller inte när du skriver i ett fält (utom Ctrl+Enter). Mer i ',
                h('a', {href: '#/handledning', onclick: () => keysDialog.close()}, 'handledningen'), '.'),
            h('form', {method: 'dialog'}, h('button', {class: 'primary'}, 'Stäng')));
        document.body.append(keysDialog);
    }
    if (!keysDialog.open) keysDialog.showModal();
}

function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

let pendingG = 0;
document.addEventListener('keydown', ev => {
    if (ev.ctrlKey || ev.altKey || ev.metaKey || typing(ev.target) || (keysDialog && keysDialog.open && ev.key !== '?')) return;
    if (ev.key === '?') {
        ev.preventDefault();
        if (keysDialog && keysDialog.open) keysDialog.close();
        else showKeys();
        return;
    }
    if (ev.key === '/') {
        const q = document.getElementById('sok');
        if (q) { ev.preventDefault(); q.focus(); q.select(); }
        return;
    }
    if (ev.key === 'g') { pendingG = Date.now(); return; }
    if (pendingG && Date.now() - pendingG < 1500 && ev.key in GOTO) {
        pendingG = 0;
        const path = GOTO[ev.key];
        const user = token() ? me() : null;
        const r = routeOf(path);
        if (r && (r.roles.includes('public') || (user && r.roles.includes(user.role) && (path !== '' || user.role === 'lots')))) {
            ev.preventDefault();
            go(path);
        }
        return;
    }
    pendingG = 0;
});

// --- the login ------------------------------------------------------------------

function loginView(main, notice) {
    const msg = notice ? h('p', {class: 'notice', role: 'status'}, notice) : null;
    const f = form({
        label: 'Inloggning', submit: 'Logga in',
        onSubmit: async v => {
            const u = await login(v.username.trim(), v.password);
            countsStale = false; // the login's GET /me brought them
            await loadRefs(u);
            const back = sessionStorage.getItem(RETURN);
            sessionStorage.removeItem(RETURN);
            announce(`Inloggad som ${personName(u.username)}.`);
            const target = back !== null && back !== '' ? back : HOME[u.role] ?? '';
            if (location.hash === `#/${target}` || (target === '' && current() === '')) render();
            else location.hash = `#/${target}`;
        },
    }, [
        field({label: 'Användarnamn', name: 'username', required: true, autocomplete: 'username'}),
        field({label: 'Lösenord', name: 'password', type: 'password', required: true, autocomplete: 'current-password'}),
    ]);
    append(main, h('h1', {tabindex: -1}, 'Logga in i Lotsbok'), msg, f,
        h('p', null, 'Ny i Lotsbok? Läs ', h('a', {href: '#/handledning'}, 'handledningen'), '.'));
    return f.elements.username;
}

// --- the router -------------------------------------------------------------------

let renderSeq = 0;
let lastPath = null;
function busy(on) {
    const main = document.getElementById('main');
    document.body.classList.toggle('loading', on);
    if (on) main.setAttribute('aria-busy', 'true');
    else main.removeAttribute('aria-busy');
}

// Puts a rendered screen in <main>; the User Timing measure "lotsbok:screen" says how
// long it took from the navigation (the browser tests read it).
function show(view, path, focusEl) {
    const main = clear(document.getElementById('main'));
    main.append(view);
    main.dataset.screen = String(renderSeq);
    performance.clearMeasures('lotsbok:screen');
    try { performance.measure('lotsbok:screen', `lotsbok:nav:${renderSeq}`); } catch { /* no mark */ }
    performance.clearMarks();
    const h1 = main.querySelector('h1');
    document.title = h1 ? `${h1.textContent} – Lotsbok` : 'Lotsbok';
    const same = path === lastPath;
    lastPath = path;
    if (!same) window.scrollTo(0, 0);
    const target = focusEl || main.querySelector('[data-autofocus]') || h1;
    // The page starts at its top, title in sight, also when the first field is further
    // down (a phone): typing there scrolls it into view.
    if (target) target.focus({preventScroll: true});
}

export async function render() {
    const seq = ++renderSeq;
    performance.mark(`lotsbok:nav:${seq}`);
    const isCurrent = () => seq === renderSeq;
    let user = token() ? me() : null;
    let path = current();
    const route0 = routeOf(path);
    if (!user && !(route0 && route0.roles.includes('public'))) {
        renderChrome(null);
        const view = h('div', {class: 'screen'});
        const first = loginView(view, sessionStorage.getItem('lotsbok.expired')
            ? 'Din inloggning har gått ut. Logga in igen – det du skrev finns kvar.' : null);
        sessionStorage.removeItem('lotsbok.expired');
        busy(false);
        show(view, '#login', first);
        return;
    }
    if (user && !hasRefs()) {
        busy(true);
        try { await loadRefs(user); } catch (e) { if (e.code === 'unauthorized') return; }
        if (!isCurrent()) return;
        user = me();
    }
    renderChrome(user);
    if (user && path === '' && HOME[user.role] !== '') path = HOME[user.role];
    const route = routeOf(path);
    const view = h('div', {class: 'screen'});
    if (!route) {
        append(view, h('h1', {tabindex: -1}, 'Sidan finns inte'), h('p', null, h('a', {href: '#/'}, 'Till startsidan')));
    } else if (!route.roles.includes('public') && !route.roles.includes(user.role)) {
        append(view, h('h1', {tabindex: -1}, 'Ingen behörighet'), h('p', null, errorText('forbidden')));
    } else {
        const params = path.match(route.re).slice(1);
        const timer = setTimeout(() => { if (isCurrent()) busy(true); }, 100);
        try {
            await route.view.render(view, params, {user, go, path, isCurrent});
        } catch (e) {
            if (e.code === 'unauthorized' || !isCurrent()) { clearTimeout(timer); return; }
            clear(view);
            append(view, h('h1', {tabindex: -1}, 'Något gick fel'), h('p', {role: 'alert'}, errorText(e.code)));
        }
        clearTimeout(timer);
    }
    if (!isCurrent()) return;
    busy(false);
    show(view, path);
    scheduleCounts();
    if (countsStale) {
        countsStale = false;
        refreshCounts();
    }
}

onUnauthorized(() => {
    sessionStorage.setItem(RETURN, current());
    sessionStorage.setItem('lotsbok.expired', '1');
    render();
});

window.addEventListener('hashchange', () => { if (location.hash === '' || location.hash.startsWith('#/')) render(); });
document.querySelector('.skip').addEventListener('click', ev => {
    ev.preventDefault();
    document.getElementById('main').focus();
});
render();
