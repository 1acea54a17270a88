// users.mjs: the administrator's users and roles (#/anvandare): the list, a form
// to create a user, and per user a form to change role, units, password or to
// disable the account (PATCH /users/{name} with If-Match).

import {h, append, table, announce} from '../lib/dom.mjs';
import {api, listAll} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {ROLES, UNITS, label, options} from '../lib/sv.mjs';

const ROLE_CHOICES = options(ROLES).filter(([r]) => r !== 'service');

function unitBoxes(selected) {
    return h('fieldset', {class: 'units'}, h('legend', null, 'Enheter (för handläggare)'),
        Object.entries(UNITS).map(([code, name]) => h('label', {class: 'check'},
            h('input', {type: 'checkbox', name: 'units', value: code, checked: selected.includes(code)}), ` ${name}`)));
}

export async function render(main, _params, ctx) {
    const list = await listAll('/users');
    append(main, h('h1', {tabindex: -1}, 'Användare och roller'),
        table(null, ['Användare', 'Roll', 'Enheter', 'Status', ''], list.map(u => [
            u.username, label(ROLES, u.role), (u.units || []).map(x => label(UNITS, x)).join(', '),
            u.disabled ? 'Avstängd' : 'Aktiv',
            u.role === 'service' ? '' : h('details', null, h('summary', null, 'Ändra ', h('span', {class: 'visually-hidden'}, u.username)), editForm(u, ctx)),
        ])));
    const create = form({
        label: 'Ny användare', submit: 'Skapa användaren', draft: 'user-new',
        onSubmit: async (v, _f, key) => {
            const body = {username: v.username.trim(), password: v.password, role: v.role};
            if (v.units.length) body.units = v.units;
            await api('POST', '/users', body, {key});
            announce(`Användaren ${body.username} är skapad.`);
            ctx.go(ctx.path);
        },
    }, [field({label: 'Användarnamn', name: 'username', required: true, maxlength: 64}),
        field({label: 'Lösenord', name: 'password', type: 'password', required: true, autocomplete: 'new-password', hint: 'Minst 8 tecken.'}),
        field({label: 'Roll', name: 'role', options: ROLE_CHOICES, value: 'lots'}),
        unitBoxes([])]);
    append(main, h('section', {'aria-labelledby': 'nu-h'}, h('h2', {id: 'nu-h'}, 'Ny användare'), create));
}

function editForm(u, ctx) {
    return form({
        label: `Ändra ${u.username}`, submit: 'Spara ändringarna',
        onSubmit: async v => {
            const body = {role: v.role, units: v.units, disabled: v.status === 'disabled'};
            if (v.password) body.password = v.password;
            await api('PATCH', `/users/${encodeURIComponent(u.username)}`, body, {ifMatch: u.version});
            announce(`${u.username} är ändrad.`);
            ctx.go(ctx.path);
        },
    }, [field({label: 'Roll', name: 'role', options: ROLE_CHOICES, value: u.role}),
        unitBoxes(u.units || []),
        field({label: 'Status', name: 'status', options: [['active', 'Aktiv'], ['disabled', 'Avstängd']], value: u.disabled ? 'disabled' : 'active'}),
        field({label: 'Nytt lösenord (lämna tomt för att behålla)', name: 'password', type: 'password', autocomplete: 'new-password'})]);
}
