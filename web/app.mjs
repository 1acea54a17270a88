// app.mjs: Lotsbok in the browser — the login, the menu for the user's role and
// a hash router (#/arende/42) that hands the main element to one view at a time.
//
// Views are modules in views/ exporting render(main, params) (async). After each
// route change the page's h1 gets the focus, so keyboard and screen-reader users
// start at the top of the new screen. A 401 from any call brings back the login
// with the screen one was on remembered; drafts survive in sessionStorage.

import {h, clear, append, announce, field} from './lib/dom.mjs';
import {login, logout, me, token, onUnauthorized} from './lib/api.mjs';
import {form} from './lib/forms.mjs';
import {ROLES, errorText} from './lib/sv.mjs';
import * as day from './views/day.mjs';
import * as companies from './views/companies.mjs';
import * as casePage from './views/case.mjs';
import * as followup from './views/followup.mjs';
import * as inbox from './views/inbox.mjs';
import * as quarter from './views/quarter.mjs';
import * as users from './views/users.mjs';

const RETURN = 'lotsbok.return';

// [pattern, view, roles, menu label]
const ROUTES = [
    [/^$/, day, ['lots'], 'Min dag'],
    [/^foretag$/, companies, ['lots', 'admin'], 'Företag'],
    [/^foretag\/(\d+)$/, companies, ['lots', 'admin', 'handler']],
    [/^arende\/([\w-]+)$/, casePage, ['lots', 'admin', 'handler']],
    [/^uppfoljning\/(\d+)$/, followup, ['lots']],
    [/^inkorg$/, inbox, ['handler', 'lots', 'admin'], 'Inkorg'],
    [/^overlamning\/(\d+)$/, inbox, ['handler', 'lots', 'admin']],
    [/^kvartal(?:\/(\d{4}-Q[1-4]))?$/, quarter, ['lots', 'handler', 'viewer', 'admin'], 'Kvartal'],
    [/^anvandare$/, users, ['admin'], 'Användare'],
];
const MENU = {lots: ['', 'foretag', 'kvartal'], handler: ['inkorg', 'kvartal'], viewer: ['kvartal'],
    admin: ['anvandare', 'foretag', 'kvartal']};
const HOME = {lots: '', handler: 'inkorg', viewer: 'kvartal', admin: 'anvandare'};

function current() {
    const hash = location.hash;
    return hash.startsWith('#/') ? decodeURIComponent(hash.slice(2)) : '';
}

export function go(path) {
    if (current() === path && location.hash.startsWith('#/')) render();
    else location.hash = `#/${path}`;
}

function renderChrome(user) {
    const nav = clear(document.getElementById('nav'));
    const who = clear(document.getElementById('who'));
    if (!user) return;
    const here = current();
    const items = (MENU[user.role] || []).map(p => {
        const r = ROUTES.find(x => x[0].test(p));
        const active = p === '' ? here === '' : here.startsWith(p);
        return h('li', null, h('a', {href: `#/${p}`, 'aria-current': active ? 'page' : null}, r[3]));
    });
    append(nav, h('ul', null, items));
    append(who, h('span', null, `${user.username} · ${ROLES[user.role] || user.role}`),
        h('button', {type: 'button', class: 'link', onclick: async () => {
            await logout();
            announce('Du är utloggad.');
            location.hash = '#/';
            render();
        }}, 'Logga ut'));
}

function loginView(main, notice) {
    const msg = notice ? h('p', {class: 'notice', role: 'status'}, notice) : null;
    const f = form({
        label: 'Inloggning', submit: 'Logga in',
        onSubmit: async v => {
            const u = await login(v.username.trim(), v.password);
            const back = sessionStorage.getItem(RETURN);
            sessionStorage.removeItem(RETURN);
            announce(`Inloggad som ${u.username}.`);
            const target = back !== null && back !== '' ? back : HOME[u.role] ?? '';
            if (location.hash === `#/${target}` || (target === '' && current() === '')) render();
            else location.hash = `#/${target}`;
        },
    }, [
        field({label: 'Användarnamn', name: 'username', required: true, autocomplete: 'username'}),
        field({label: 'Lösenord', name: 'password', type: 'password', required: true, autocomplete: 'current-password'}),
    ]);
    append(main, h('h1', {tabindex: -1}, 'Logga in i Lotsbok'), msg, f);
    f.elements.username.focus();
}

let renderSeq = 0;
export async function render() {
    const seq = ++renderSeq;
    const main = clear(document.getElementById('main'));
    const user = token() ? me() : null;
    renderChrome(user);
    if (!user) {
        loginView(main, sessionStorage.getItem('lotsbok.expired') ? 'Din inloggning har gått ut. Logga in igen – det du skrev finns kvar.' : null);
        sessionStorage.removeItem('lotsbok.expired');
        return;
    }
    let path = current();
    if (path === '' && HOME[user.role] !== '') path = HOME[user.role];
    const route = ROUTES.find(r => r[0].test(path));
    if (!route) {
        append(main, h('h1', {tabindex: -1}, 'Sidan finns inte'), h('p', null, h('a', {href: '#/'}, 'Till startsidan')));
        main.querySelector('h1').focus();
        return;
    }
    if (!route[2].includes(user.role)) {
        append(main, h('h1', {tabindex: -1}, 'Ingen behörighet'), h('p', null, errorText('forbidden')));
        main.querySelector('h1').focus();
        return;
    }
    const params = path.match(route[0]).slice(1);
    try {
        await route[1].render(main, params, {user, go, path, isCurrent: () => seq === renderSeq});
    } catch (e) {
        if (e.code === 'unauthorized' || seq !== renderSeq) return;
        clear(main);
        append(main, h('h1', {tabindex: -1}, 'Något gick fel'), h('p', {role: 'alert'}, errorText(e.code)));
    }
    if (seq !== renderSeq) return;
    const focusTarget = main.querySelector('[data-autofocus]') || main.querySelector('h1');
    if (focusTarget) focusTarget.focus();
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
