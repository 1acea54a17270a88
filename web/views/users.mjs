// users.mjs: the administrator's users and roles (#/anvandare): the list, a form
// to create a user, and per user a form to change name, role, units, password or
// to disable the account (PATCH /users/{name} with If-Match). One request.

import {h, append, announce} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {list} from '../lib/list.mjs';
import {unitName, unitOptions} from '../lib/ref.mjs';
import {ROLES, label, options} from '../lib/sv.mjs';

const ROLE_CHOICES = options(ROLES).filter(([r]) => r !== 'service');

// The units as checkboxes; the fieldset carries the message when a handler has none.
function unitBoxes(selected) {
    const msg = h('p', {class: 'field-msg', id: `units-msg-${Math.random().toString(36).slice(2, 8)}`});
    return h('fieldset', {class: 'units'}, h('legend', null, 'Enheter (för handläggare)'),
        unitOptions().map(([code, name]) => h('label', {class: 'check'},
            h('input', {type: 'checkbox', name: 'units', value: code, checked: selected.includes(code), 'aria-describedby': msg.id}),
            ` ${name}`)),
        msg);
}

export async function render(main, _params, ctx) {
    const users = (await api('GET', '/users?limit=500')).items;
    append(main, h('h1', {tabindex: -1}, 'Användare och roller'),
        list({
            id: 'users', noun: ['användare', 'användare'], rows: users, sort: ['name', 'asc'], pageSize: 50,
            filters: [{key: 'role', label: 'Roll', options: [['', 'Alla'], ...options(ROLES)], test: (u, v) => u.role === v}],
            columns: [
                {key: 'name', label: 'Namn', value: u => u.display_name || u.username, cell: u => u.display_name || '–'},
                {key: 'username', label: 'Användarnamn', value: u => u.username, cell: u => u.username},
                {key: 'role', label: 'Roll', value: u => label(ROLES, u.role), cell: u => label(ROLES, u.role)},
                {key: 'units', label: 'Enheter', cell: u => (u.units || []).map(unitName).join(', ')},
                {key: 'status', label: 'Status', value: u => (u.disabled ? 1 : 0), cell: u => (u.disabled ? 'Avstängd' : 'Aktiv')},
                {key: 'edit', label: '', cell: u => (u.role === 'service' ? '' : h('details', null,
                    h('summary', null, 'Ändra ', h('span', {class: 'visually-hidden'}, u.username)), editForm(u, ctx)))},
            ],
        }));
    const create = form({
        label: 'Ny användare', submit: 'Skapa användaren', draft: 'user-new',
        onSubmit: async (v, _f, key) => {
            const body = {username: v.username.trim(), password: v.password, role: v.role};
            if (v.display_name.trim()) body.display_name = v.display_name.trim();
            if (v.units.length) body.units = v.units;
            await api('POST', '/users', body, {key});
            announce(`Användaren ${body.username} är skapad.`);
            ctx.go(ctx.path);
        },
    }, [field({label: 'Namn', name: 'display_name', maxlength: 200, hint: 'Så som kollegorna ser namnet, till exempel Anna Lindqvist.'}),
        field({label: 'Användarnamn', name: 'username', required: true, maxlength: 64, hint: 'a–z, 0–9, punkt, bindestreck och understreck.'}),
        field({label: 'Lösenord', name: 'password', type: 'password', required: true, autocomplete: 'new-password', hint: 'Minst 8 tecken.'}),
        field({label: 'Roll', name: 'role', options: ROLE_CHOICES, value: 'lots'}),
        unitBoxes([])]);
    append(main, h('section', {'aria-labelledby': 'nu-h'}, h('h2', {id: 'nu-h'}, 'Ny användare'), create));
}

function editForm(u, ctx) {
    return form({
        label: `Ändra ${u.username}`, submit: 'Spara ändringarna',
        onSubmit: async v => {
            const body = {role: v.role, units: v.units, disabled: v.status === 'disabled',
                display_name: v.display_name.trim() || null};
            if (v.password) body.password = v.password;
            await api('PATCH', `/users/${encodeURIComponent(u.username)}`, body, {ifMatch: u.version});
            announce(`${u.username} är ändrad.`);
            ctx.go(ctx.path);
        },
    }, [field({label: 'Namn', name: 'display_name', maxlength: 200, value: u.display_name || ''}),
        field({label: 'Roll', name: 'role', options: ROLE_CHOICES, value: u.role}),
        unitBoxes(u.units || []),
        field({label: 'Status', name: 'status', options: [['active', 'Aktiv'], ['disabled', 'Avstängd']], value: u.disabled ? 'disabled' : 'active'}),
        field({label: 'Nytt lösenord (lämna tomt för att behålla)', name: 'password', type: 'password', autocomplete: 'new-password'})]);
}
