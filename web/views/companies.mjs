// companies.mjs: company search and registration (#/foretag) and one company's
// page with its cases and the form to open a new case (#/foretag/ID).
//
// The search takes an organisationsnummer in any accepted form (?orgnr=) or the
// start of a name (?q=, which the server matches without case or diacritics).
// The registration form checks the number as it is typed with the same rules as
// the server (orgnr.mjs) and shows the server's 422 code in Swedish if it still
// disagrees; a duplicate links to the company already registered.

import {h, append, clear, table, dl, announce} from '../lib/dom.mjs';
import {api, listAll} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {checkOrgnr, looksLikeNumber} from '../lib/orgnr.mjs';
import {CATEGORIES, CASE_STATUS, errorText, label, options, dateOf} from '../lib/sv.mjs';

export async function render(main, params, ctx) {
    if (params[0]) return renderCompany(main, params[0], ctx);
    const results = h('div', {id: 'search-results', 'aria-live': 'polite'});
    const search = form({
        label: 'Sök företag', submit: 'Sök', draft: 'company-search', className: 'form inline',
        onSubmit: async v => {
            const q = v.q.trim();
            const query = looksLikeNumber(q) ? `orgnr=${encodeURIComponent(q)}` : `q=${encodeURIComponent(q)}`;
            let items = [];
            try {
                items = (await api('GET', `/companies?${query}&limit=50`)).items;
            } catch (e) {
                if (e.status !== 400) throw e;
            }
            clear(results);
            append(results, h('p', null, items.length ? `${items.length} träffar.` : 'Inga träffar.'),
                items.length ? table('Sökresultat', ['Företag', 'Organisationsnummer', 'Ort'], items.map(c => [
                    h('a', {href: `#/foretag/${c.id}`}, c.name), c.orgnr_formatted, c.locality || '',
                ])) : null);
            announce(items.length ? `${items.length} träffar` : 'Inga träffar');
        },
    }, [field({label: 'Namn eller organisationsnummer', name: 'q', required: true,
        hint: 'Till exempel "Mälarbåtar" eller 556036-0793.'})]);
    search.elements.q.setAttribute('data-autofocus', '');

    append(main, h('h1', {tabindex: -1}, 'Företag'),
        h('section', {'aria-labelledby': 's-h'}, h('h2', {id: 's-h'}, 'Sök'), search, results));
    if (ctx.user.role === 'lots' || ctx.user.role === 'admin') append(main, registerForm(ctx));
}

function registerForm(ctx) {
    const orgnr = field({label: 'Organisationsnummer eller personnummer', name: 'orgnr', required: true,
        hint: 'Enskild firma: innehavarens personnummer.', inputmode: 'numeric'});
    const status = h('p', {class: 'orgnr-status', id: 'orgnr-status', 'aria-live': 'polite'});
    orgnr.insertBefore(status, orgnr.msg);
    orgnr.control.setAttribute('aria-describedby', `${orgnr.control.getAttribute('aria-describedby')} orgnr-status`);
    const existing = h('p', {class: 'existing'});
    const check = () => {
        const v = orgnr.control.value;
        const r = checkOrgnr(v);
        status.className = 'orgnr-status';
        if (!v.trim()) { status.textContent = ''; orgnr.control.removeAttribute('aria-invalid'); return; }
        if (r.code === 'ok') {
            status.textContent = `✓ ${r.formatted} – ${r.groupName}`;
            status.classList.add('ok');
            orgnr.control.removeAttribute('aria-invalid');
        } else {
            // Partly typed numbers are not errors yet: say what is missing quietly.
            const digits = v.replace(/\D/g, '').length;
            status.textContent = digits < 10 && r.code === 'invalid_orgnr_format'
                ? `${digits} siffror hittills.` : errorText(r.code);
            if (digits >= 10 || r.code !== 'invalid_orgnr_format') {
                status.classList.add('bad');
                orgnr.control.setAttribute('aria-invalid', 'true');
            }
        }
    };
    orgnr.control.addEventListener('input', check);
    const f = form({
        label: 'Registrera företag', submit: 'Registrera företaget', draft: 'company-new',
        onSubmit: async (v, _f, key) => {
            clear(existing);
            const local = checkOrgnr(v.orgnr);
            if (local.code !== 'ok') throw {code: local.code, field: 'orgnr'};
            const body = {orgnr: v.orgnr.trim(), name: v.name.trim()};
            if (v.locality.trim()) body.locality = v.locality.trim();
            if (v.sni.trim()) body.sni = v.sni.trim();
            try {
                const c = await api('POST', '/companies', body, {key});
                announce(`${c.name} är registrerat.`);
                ctx.go(`foretag/${c.id}`);
            } catch (e) {
                if (e.code === 'duplicate_orgnr' && e.body && e.body.existing_id) {
                    append(existing, 'Företaget finns redan: ',
                        h('a', {href: `#/foretag/${e.body.existing_id}`}, 'öppna det registrerade företaget'), '.');
                }
                throw e;
            }
        },
    }, [orgnr,
        field({label: 'Företagets namn', name: 'name', required: true, maxlength: 200}),
        field({label: 'Ort', name: 'locality', maxlength: 200}),
        field({label: 'SNI-kod (bransch)', name: 'sni', maxlength: 200}),
        existing]);
    check();
    return h('section', {'aria-labelledby': 'r-h'}, h('h2', {id: 'r-h'}, 'Registrera nytt företag'), f);
}

async function renderCompany(main, id, ctx) {
    const c = await api('GET', `/companies/${id}`);
    const canCases = ctx.user.role === 'lots' || ctx.user.role === 'admin';
    const cases = canCases ? await listAll(`/cases?company_id=${c.id}`) : [];
    append(main,
        h('p', {class: 'crumbs'}, h('a', {href: '#/foretag'}, 'Företag'), ' / ', c.name),
        h('h1', {tabindex: -1}, c.name),
        dl([['Organisationsnummer', c.orgnr_formatted], ['Form', c.personal_orgnr ? 'Enskild firma' : null],
            ['Ort', c.locality], ['SNI-kod', c.sni]]),
        (c.contacts || []).length ? h('section', {'aria-labelledby': 'cp-h'}, h('h2', {id: 'cp-h'}, 'Kontaktpersoner'),
            table(null, ['Namn', 'Roll', 'Telefon', 'E-post'], c.contacts.map(p =>
                [p.name, p.role || '', p.phone || '', p.email || '']))) : null);
    if (!canCases) return;
    append(main, h('section', {'aria-labelledby': 'c-h'}, h('h2', {id: 'c-h'}, 'Ärenden'),
        table(null, ['Ärende', 'Rubrik', 'Kategori', 'Status', 'Öppnat'], cases.map(k => [
            h('a', {href: `#/arende/${k.id}`}, k.number), k.subject, label(CATEGORIES, k.category),
            label(CASE_STATUS, k.status), dateOf(k.opened_at)]), 'Inga ärenden ännu.')));
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
        field({label: 'Beskrivning', name: 'description', type: 'textarea', rows: 3})]);
    append(main, h('section', {'aria-labelledby': 'n-h'}, h('h2', {id: 'n-h'}, 'Öppna nytt ärende'), f));
}
