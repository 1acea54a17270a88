// companies.mjs: company search and registration (#/foretag) and one company's
// page (#/foretag/ID): its facts and contact persons (editable by lots and
// admin), its cases (filtered, sorted, paged), the meetings it attended (admin,
// lots: GET /meetings?company_id=) and the form to open a new case.
//
// The search takes an organisationsnummer in any accepted form (?orgnr=) or the
// start of a name (?q=, which the server matches without case or diacritics);
// results are sorted by name. The registration form checks the number as it is
// typed with the same rules as the server (orgnr.mjs); an error is said once, next
// to the field. A duplicate links to the company already registered.

import {h, append, clear, dl, announce, table} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {list, count} from '../lib/list.mjs';
import {checkOrgnr, looksLikeNumber} from '../lib/orgnr.mjs';
import {CATEGORIES, CASE_STATUS, errorText, label, options, dateOf} from '../lib/sv.mjs';
import {personName} from '../lib/ref.mjs';
import {KINDS} from './meetings.mjs';

export async function render(main, params, ctx) {
    if (params[0]) return renderCompany(main, params[0], ctx);
    const results = h('div', {id: 'search-results'});
    const search = form({
        label: 'Sök företag', submit: 'Sök', draft: 'company-search', className: 'form inline',
        onSubmit: async v => {
            const q = v.q.trim();
            const query = looksLikeNumber(q) ? `orgnr=${encodeURIComponent(q)}` : `q=${encodeURIComponent(q)}`;
            let items = [];
            try {
                items = (await api('GET', `/companies?${query}&limit=500`)).items;
            } catch (e) {
                if (e.status !== 400) throw e;
            }
            clear(results);
            append(results, h('p', {role: 'status'}, items.length ? `${count(items.length, ['träff', 'träffar'])}.` : 'Inga träffar.'),
                items.length ? list({
                    id: 'company-search', noun: ['företag', 'företag'], rows: items, sort: ['name', 'asc'],
                    columns: [
                        {key: 'name', label: 'Företag', value: c => c.name, cell: c => h('a', {href: `#/foretag/${c.id}`}, c.name)},
                        {key: 'orgnr', label: 'Organisationsnummer', value: c => c.orgnr, cell: c => c.orgnr_formatted},
                        {key: 'locality', label: 'Ort', value: c => c.locality || '', cell: c => c.locality || ''},
                    ],
                }) : null);
        },
    }, [field({label: 'Namn eller organisationsnummer', name: 'q', required: true,
        hint: 'Till exempel "Mälarbåtar" eller 556036-0793.'})]);
    search.elements.q.setAttribute('data-autofocus', '');

    append(main, h('h1', {tabindex: -1}, 'Företag'),
        h('section', {'aria-labelledby': 's-h'}, h('h2', {id: 's-h'}, 'Sök'), search, results));
    if (ctx.user.role === 'lots' || ctx.user.role === 'admin') append(main, registerForm(ctx));
}

// One contact person's four fields, named as the API's error fields are
// ("contacts[0].phone"), so a 422 lands next to the right field.
function personFields(i, p, onRemove) {
    const n = k => `contacts[${i}].${k}`;
    return h('fieldset', {class: 'person-set'},
        h('legend', null, p && p.name ? p.name : `Kontaktperson ${i + 1}`),
        h('div', {class: 'person'},
            field({label: 'Namn', name: n('name'), maxlength: 200, value: p ? p.name : '', autocomplete: 'off'}),
            field({label: 'Roll', name: n('role'), maxlength: 200, value: p ? p.role : '', hint: null}),
            field({label: 'Telefon', name: n('phone'), type: 'tel', maxlength: 200, value: p ? p.phone : ''}),
            field({label: 'E-post', name: n('email'), type: 'email', maxlength: 200, value: p ? p.email : ''})),
        onRemove ? h('button', {type: 'button', class: 'link', onclick: onRemove}, 'Ta bort kontaktpersonen') : null);
}

// The contact persons in a form as the API wants them: rows without a name are
// left out (a row with only a phone number gets the error "fill in the name").
function contactsOf(f) {
    const out = [];
    for (const set of f.querySelectorAll('fieldset.person-set')) {
        const get = k => (set.querySelector(`[name$=".${k}"]`) || {value: ''}).value.trim();
        const p = {name: get('name'), role: get('role') || null, phone: get('phone') || null, email: get('email') || null};
        if (p.name || p.role || p.phone || p.email) out.push(p);
    }
    return out;
}

function registerForm(ctx) {
    const orgnr = field({label: 'Organisationsnummer eller personnummer', name: 'orgnr', required: true,
        hint: 'Enskild firma: innehavarens personnummer.', inputmode: 'numeric'});
    const status = h('p', {class: 'orgnr-status', id: 'orgnr-status', 'aria-live': 'polite'});
    orgnr.insertBefore(status, orgnr.msg);
    orgnr.control.setAttribute('aria-describedby', `${orgnr.control.getAttribute('aria-describedby')} orgnr-status`);
    const existing = h('p', {class: 'existing'});
    // While typing, the check is said in the status line (politely); after a failed
    // submit the message is next to the field instead, never in both.
    const check = () => {
        const v = orgnr.control.value;
        const r = checkOrgnr(v);
        status.className = 'orgnr-status';
        orgnr.msg.textContent = '';
        if (!v.trim()) { status.textContent = ''; orgnr.control.removeAttribute('aria-invalid'); return; }
        if (r.code === 'ok') {
            status.textContent = `✓ ${r.formatted} – ${r.groupName}`;
            status.classList.add('ok');
            orgnr.control.removeAttribute('aria-invalid');
        } else {
            const digits = v.replace(/\D/g, '').length;
            const partial = digits < 10 && r.code === 'invalid_orgnr_format';
            status.textContent = partial ? `${digits} siffror hittills.` : errorText(r.code);
            if (!partial) orgnr.control.setAttribute('aria-invalid', 'true');
        }
    };
    orgnr.control.addEventListener('input', check);
    const f = form({
        label: 'Registrera företag', submit: 'Registrera företaget', draft: 'company-new',
        onSubmit: async (v, form_, key) => {
            clear(existing);
            const local = checkOrgnr(v.orgnr);
            if (local.code !== 'ok') {
                status.textContent = '';
                throw {code: local.code, field: 'orgnr'};
            }
            const body = {orgnr: v.orgnr.trim(), name: v.name.trim()};
            if (v.locality.trim()) body.locality = v.locality.trim();
            if (v.sni.trim()) body.sni = v.sni.trim();
            const contacts = contactsOf(form_);
            if (contacts.length) body.contacts = contacts;
            try {
                const c = await api('POST', '/companies', body, {key});
                announce(`${c.name} är registrerat.`);
                ctx.go(`foretag/${c.id}`);
            } catch (e) {
                if (e.code === 'duplicate_orgnr' && e.body && e.body.existing_id) {
                    status.textContent = '';
                    append(existing, h('a', {href: `#/foretag/${e.body.existing_id}`}, 'Öppna det registrerade företaget'), '.');
                }
                if (e.field === 'orgnr') status.textContent = '';
                throw e;
            }
        },
    }, [orgnr,
        field({label: 'Företagets namn', name: 'name', required: true, maxlength: 200}),
        h('div', {class: 'row'},
            field({label: 'Ort', name: 'locality', maxlength: 200}),
            field({label: 'SNI-kod (bransch)', name: 'sni', maxlength: 200})),
        personFields(0, null, null),
        existing]);
    check();
    return h('section', {'aria-labelledby': 'r-h'}, h('h2', {id: 'r-h'}, 'Registrera nytt företag'), f);
}

async function renderCompany(main, id, ctx) {
    const canCases = ctx.user.role === 'lots' || ctx.user.role === 'admin';
    const [c, cases, meetings] = await Promise.all([
        api('GET', `/companies/${id}`),
        canCases ? api('GET', `/cases?company_id=${encodeURIComponent(id)}&limit=500`).then(r => r.items) : [],
        canCases ? api('GET', `/meetings?company_id=${encodeURIComponent(id)}&limit=500`).then(r => r.items) : [],
    ]);
    append(main,
        h('p', {class: 'crumbs'}, canCases ? h('a', {href: '#/foretag'}, 'Företag') : 'Företag', ' / ', c.name),
        h('h1', {tabindex: -1}, c.name),
        dl([['Orgnr', c.orgnr_formatted], ['Form', c.personal_orgnr ? 'Enskild firma' : null],
            ['Ort', c.locality], ['SNI-kod', c.sni]]),
        h('section', {'aria-labelledby': 'cp-h'}, h('h2', {id: 'cp-h'}, 'Kontaktpersoner'),
            (c.contacts || []).length
                ? h('ul', {class: 'people'}, c.contacts.map(p => h('li', null, h('strong', null, p.name),
                    [p.role, p.phone, p.email].filter(Boolean).map(x => `, ${x}`))))
                : h('p', {class: 'empty'}, 'Ingen kontaktperson registrerad – lägg till en, så finns telefonnumret vid uppföljningssamtalet.')));
    if (canCases) append(main, editCompany(c, ctx));
    if (!canCases) return;
    append(main, h('section', {'aria-labelledby': 'c-h'}, h('h2', {id: 'c-h'}, 'Ärenden'),
        list({
            id: `company-cases`, noun: ['ärende', 'ärenden'], empty: 'Inga ärenden ännu.', rows: cases, sort: ['opened', 'desc'],
            filters: [{key: 'status', label: 'Status', options: [['', 'Alla'], ...options(CASE_STATUS)], test: (k, v) => k.status === v}],
            columns: [
                {key: 'number', label: 'Ärende', value: k => k.number, cell: k => h('a', {href: `#/arende/${k.id}`}, k.number)},
                {key: 'subject', label: 'Rubrik', value: k => k.subject, cell: k => k.subject},
                {key: 'category', label: 'Kategori', value: k => label(CATEGORIES, k.category), cell: k => label(CATEGORIES, k.category)},
                {key: 'status', label: 'Status', value: k => k.status, cell: k => label(CASE_STATUS, k.status)},
                {key: 'owner', label: 'Ansvarig', value: k => personName(k.owner), cell: k => personName(k.owner)},
                {key: 'opened', label: 'Öppnat', value: k => k.opened_at, cell: k => dateOf(k.opened_at)},
            ],
        })));
    // The meetings it attended beside its cases (docs/meetings.md), newest first.
    append(main, h('section', {'aria-labelledby': 'm-h'}, h('h2', {id: 'm-h'}, 'Träffar som företaget deltagit i'),
        table(null, ['Datum', 'Träff', 'Typ'], [...meetings].reverse().map(m => [dateOf(m.starts_at),
            h('a', {href: `#/traff/${m.id}`}, m.title), label(KINDS, m.kind)]), 'Inga träffar registrerade.')));
    if (ctx.user.role !== 'lots') return;
    const f = form({
        label: 'Öppna ärende', submit: 'Öppna ärendet', draft: `case-new-${c.id}`,
        onSubmit: async (v, _f, key) => {
            const body = {company_id: c.id, subject: v.subject.trim(), category: v.category};
            if (v.description.trim()) body.description = v.description.trim();
            const k = await api('POST', '/cases', body, {key});
            announce(`Ärende ${k.number} är öppnat.`);
            ctx.go(`arende/${k.id}`);
        },
    }, [field({label: 'Rubrik', name: 'subject', required: true, maxlength: 200}),
        field({label: 'Kategori', name: 'category', options: options(CATEGORIES), value: 'establishment'}),
        field({label: 'Beskrivning', name: 'description', type: 'textarea', rows: 3, maxlength: 10000})]);
    append(main, h('section', {'aria-labelledby': 'n-h'}, h('h2', {id: 'n-h'}, 'Öppna nytt ärende'), f));
}

// Company facts and contact persons in one form (PATCH with If-Match).
function editCompany(c, ctx) {
    const people = h('div');
    let n = 0;
    const add = p => {
        const i = n++;
        const set = personFields(i, p, () => { set.remove(); });
        people.append(set);
        return set;
    };
    for (const p of c.contacts || []) add(p);
    if (!(c.contacts || []).length) add(null);
    const f = form({
        label: 'Ändra företaget', submit: 'Spara företaget',
        onSubmit: async (v, form_) => {
            const body = {name: v.name.trim(), locality: v.locality.trim() || null, sni: v.sni.trim() || null,
                contacts: contactsOf(form_)};
            await api('PATCH', `/companies/${c.id}`, body, {ifMatch: c.version});
            announce('Företaget är sparat.');
            ctx.go(ctx.path);
        },
    }, [field({label: 'Företagets namn', name: 'name', required: true, maxlength: 200, value: c.name}),
        h('div', {class: 'row'},
            field({label: 'Ort', name: 'locality', maxlength: 200, value: c.locality || ''}),
            field({label: 'SNI-kod (bransch)', name: 'sni', maxlength: 200, value: c.sni || ''})),
        people,
        h('p', null, h('button', {type: 'button', onclick: () => {
            const set = add(null);
            set.querySelector('input').focus();
        }}, 'Lägg till kontaktperson'))]);
    return h('details', {class: 'panel', open: !(c.contacts || []).length}, h('summary', null, 'Ändra företaget och kontaktpersonerna'), f);
}
