// meetings.mjs: meetings, trainings and their evaluations (docs/meetings.md). Three screens:
//   #/traffar[/2026]   the year's meetings by kind: counts per kind and the list (filter by
//                      kind; the year picks what the server sends, GET /meetings?year=)
//   #/traff/ny         a new meeting (admin, lots)
//   #/traff/ID         a meeting: its facts, attendance, documented items, the evaluation
//                      summary under the n ≥ 7 rule, and for admin and lots the forms — add a
//                      company by search-as-you-type (or register it on the spot, orgnr
//                      checked while typed), persons per company, staff counts per unit,
//                      items, paper evaluations typed in, the evaluation link with its QR
//                      code and the printable A4 sheet, and the meeting's own fields.
// A handler or viewer (the arbetsgrupp) gets what the server gives them: counts and the
// evaluation summary, never a company's name or a comment. A meeting's page repaints
// itself from the answer of each write (one GET after a paper evaluation), keeping the
// focus where the user was, so typing in a pile of paper forms is one form after another.

import {h, append, clear, dl, table, announce, newId} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {list, count} from '../lib/list.mjs';
import {checkOrgnr, looksLikeNumber} from '../lib/orgnr.mjs';
import {unitName, unitOptions} from '../lib/ref.mjs';
import {LOTS, errorText, label, options, today, when, dateOf, num, pct} from '../lib/sv.mjs';

export const KINDS = {
    business_meeting: 'Företagarträff eller frukost', cluster_meeting: 'Klusterträff',
    infrastructure_meeting: 'Infrastrukturträff', company_training: 'Utbildning för företag',
    staff_training: 'Utbildning för personal', theme_day: 'Temadag', recruitment_fair: 'Rekryteringsmässa',
    dialogue: 'Dialogmöte', other: 'Annan träff',
};
const ITEMS = {need: 'Uttryckta behov', proposal: 'Dokumenterade förslag', input: 'Synpunkter'};
const ITEM_ONE = {need: 'Behov', proposal: 'Förslag', input: 'Synpunkt'};
const TRAINING = k => k === 'company_training' || k === 'staff_training';
const full = ctx => ctx.user.role === 'lots' || ctx.user.role === 'admin';
const fmtOrgnr = o => (o && /^\d{10}$/.test(o) ? `${o.slice(0, 6)}-${o.slice(6)}` : o || '');

// --- the list ---------------------------------------------------------------------

export async function render(main, params, ctx) {
    const now = Number(today().slice(0, 4));
    const year = Number(params[0] || now);
    const ms = (await api('GET', `/meetings?year=${year}&limit=500`)).items;
    const years = [];
    for (let y = Math.max(now + 1, year); y >= Math.min(now - 5, year); y--) years.push([String(y), String(y)]);
    const pick = form({label: 'Välj år', submit: 'Visa', className: 'form inline picker',
        onSubmit: async v => ctx.go(`traffar/${v.year}`)},
    [field({label: 'År', name: 'year', options: years, value: String(year)})]);

    const per = {};
    for (const m of ms) {
        const p = per[m.kind] ||= {n: 0, participants: 0, companies: 0, answers: 0};
        p.n += 1;
        p.participants += m.participants;
        p.companies += m.companies_count;
        p.answers += m.evaluation ? m.evaluation.n : 0;
    }
    const kinds = Object.keys(KINDS).filter(k => per[k]);
    append(main, h('h1', {tabindex: -1}, `Träffar och utbildningar ${year}`),
        h('p', {class: 'lead'}, 'Företagarträffar, klusterträffar, utbildningar och andra träffar som handlingsplanen mäts i.'),
        full(ctx) ? h('p', null, h('a', {class: 'button', href: '#/traff/ny'}, 'Ny träff')) : null,
        pick,
        h('section', {'aria-labelledby': 'mk-h'}, h('h2', {id: 'mk-h'}, 'Per typ av träff'),
            table(null, ['Typ', 'Träffar', 'Deltagare', 'Företag (besök)', 'Utvärderingssvar'],
                kinds.map(k => [KINDS[k], num(per[k].n), num(per[k].participants), num(per[k].companies), num(per[k].answers)]),
                `Inga träffar registrerade ${year}.`)),
        h('section', {'aria-labelledby': 'ml-h'}, h('h2', {id: 'ml-h'}, 'Alla träffar'),
            list({
                id: 'meetings', noun: ['träff', 'träffar'], rows: ms, sort: ['at', 'asc'], empty: `Inga träffar ${year}.`,
                filters: [{key: 'kind', label: 'Typ av träff', options: [['', 'Alla'], ...options(KINDS)], test: (m, v) => m.kind === v}],
                columns: [
                    {key: 'at', label: 'Tid', value: m => m.starts_at, cell: m => when(m.starts_at)},
                    {key: 'title', label: 'Träff', value: m => m.title, cell: m => h('a', {href: `#/traff/${m.id}`}, m.title)},
                    {key: 'kind', label: 'Typ', value: m => KINDS[m.kind] || m.kind, cell: m => label(KINDS, m.kind)},
                    {key: 'place', label: 'Plats', value: m => m.place || '', cell: m => m.place || ''},
                    {key: 'participants', label: 'Deltagare', value: m => m.participants, cell: m => num(m.participants)},
                    {key: 'answers', label: 'Svar', value: m => m.evaluation.n, cell: m => num(m.evaluation.n)},
                ],
            })));
}

// --- creating and editing ---------------------------------------------------------------

// The UTC instant of a Stockholm wall-clock date and time (the browser may be elsewhere).
function stockholmInstant(date, time) {
    const [y, mo, d] = date.split('-').map(Number);
    const [hh, mm] = time.split(':').map(Number);
    const want = Date.UTC(y, mo - 1, d, hh, mm);
    const fmt = new Intl.DateTimeFormat('en-CA', {timeZone: 'Europe/Stockholm', hourCycle: 'h23',
        year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'});
    let t = want;
    for (let i = 0; i < 3; i++) {
        const p = Object.fromEntries(fmt.formatToParts(new Date(t)).map(x => [x.type, x.value]));
        const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute);
        t += want - wall;
    }
    return new Date(t).toISOString().replace('.000Z', 'Z');
}

function meetingForm(ctx, m) {
    const at = m ? when(m.starts_at).split(' ') : [today(), '08:00'];
    const units = [['', LOTS], ...unitOptions()];
    return form({
        label: m ? 'Ändra träffen' : 'Ny träff', submit: m ? 'Spara träffen' : 'Registrera träffen',
        draft: m ? null : 'meeting-new',
        onSubmit: async (v, _f, key) => {
            if (!/^\d{4}-\d{2}-\d{2}$/.test(v.date)) throw {code: 'invalid_date', field: 'date'};
            if (!/^\d{2}:\d{2}/.test(v.time)) throw {code: 'invalid_time', field: 'time'};
            const actions = v.actions.split(/[\s,;]+/).filter(Boolean);
            const body = {kind: v.kind, title: v.title.trim(), starts_at: stockholmInstant(v.date, v.time),
                place: v.place.trim() || null, unit: v.unit || null, actions, notes: v.notes.trim() || null};
            try {
                if (m) {
                    const n = await api('PATCH', `/meetings/${m.id}`, body, {ifMatch: m.version});
                    announce('Träffen är sparad.');
                    return ctx.repaint(n, 'h1');
                }
                const n = await api('POST', '/meetings', body, {key});
                announce(`${n.title} är registrerad.`);
                ctx.go(`traff/${n.id}`);
            } catch (e) {
                if (e.field === 'starts_at') e.field = 'date';
                if (e.field && String(e.field).startsWith('actions')) e.field = 'actions';
                throw e;
            }
        },
    }, [field({label: 'Typ av träff', name: 'kind', options: options(KINDS), value: m ? m.kind : 'business_meeting'}),
        field({label: 'Rubrik', name: 'title', required: true, maxlength: 200, value: m ? m.title : ''}),
        h('div', {class: 'row'},
            field({label: 'Datum', name: 'date', type: 'date', required: true, value: at[0]}),
            field({label: 'Klockslag', name: 'time', type: 'time', required: true, value: at[1]})),
        field({label: 'Plats', name: 'place', maxlength: 200, value: m ? m.place || '' : ''}),
        field({label: 'Arrangör', name: 'unit', options: units, value: m ? m.unit || '' : ''}),
        field({label: 'Åtgärder i handlingsplanen', name: 'actions', maxlength: 300,
            hint: 'Åtgärdernas nummer, till exempel 6.2 eller 1.4, 2.2.', value: m ? m.actions.join(', ') : ''}),
        field({label: 'Anteckningar', name: 'notes', type: 'textarea', rows: 3, maxlength: 10000, value: m ? m.notes || '' : ''})]);
}

export const newView = {
    async render(main, _params, ctx) {
        const f = meetingForm(ctx, null);
        f.elements.kind.setAttribute('data-autofocus', '');
        append(main, h('p', {class: 'crumbs'}, h('a', {href: '#/traffar'}, 'Träffar'), ' / Ny träff'),
            h('h1', {tabindex: -1}, 'Ny träff'),
            h('p', {class: 'lead'}, 'Deltagare, behov och förslag och utvärderingar lägger du till på träffens sida.'), f);
    },
};

// --- the meeting -----------------------------------------------------------------------

export const meetingView = {
    async render(main, params, ctx) {
        const id = params[0];
        const [m, qr] = await Promise.all([
            api('GET', `/meetings/${id}`),
            full(ctx) ? api('GET', `/meetings/${id}/sheet?format=svg`, undefined, {raw: true}).then(r => r.text()).catch(() => null) : null,
        ]);
        const here = {...ctx, qr};
        // Repaints the screen from a meeting answered by a write; the focus goes to the
        // element marked data-key=KEY (the field one was in) or the heading.
        here.repaint = (n, key) => {
            clear(main);
            paint(main, n, here);
            const el = key && main.querySelector(`[data-key="${key}"]`);
            (el || main.querySelector('h1')).focus();
        };
        here.reload = async key => here.repaint(await api('GET', `/meetings/${id}`), key);
        paint(main, m, here);
    },
};

function paint(main, m, ctx) {
    const when_ = when(m.starts_at);
    append(main,
        h('p', {class: 'crumbs'}, h('a', {href: `#/traffar/${when_.slice(0, 4)}`}, 'Träffar'), ' / ', m.title),
        h('h1', {tabindex: -1, 'data-key': 'h1'}, m.title),
        dl([['Typ', label(KINDS, m.kind)], ['Tid', when_], ['Plats', m.place], ['Arrangör', m.unit ? unitName(m.unit) : LOTS],
            ['Åtgärder', m.actions.length ? m.actions.join(', ') : null],
            ['Deltagare', `${num(m.participants)} (${count(m.companies_count, ['företag', 'företag'])})`]]),
        m.notes ? h('p', {class: 'text'}, m.notes) : null);
    if (full(ctx)) {
        append(main, attendance(m, ctx), items(m, ctx), evaluation(m, ctx), link(m, ctx),
            h('details', {class: 'panel'}, h('summary', null, 'Ändra träffen'), meetingForm(ctx, m)));
    } else {
        append(main, counts(m), evaluation(m, ctx));
    }
}

// What a handler or viewer sees of the attendance and the items: counts only.
function counts(m) {
    const ic = m.items_count || {};
    return h('section', {'aria-labelledby': 'mc-h'}, h('h2', {id: 'mc-h'}, 'Deltagare och dokumenterat'),
        h('div', {class: 'cards'},
            card(m.companies_count, 'företag'), card(m.participants, 'deltagare'),
            Object.keys(ITEMS).map(t => card(ic[t] || 0, ITEMS[t].toLowerCase()))),
        m.staff.length ? table('Personal per enhet', ['Enhet', 'Deltagare'],
            m.staff.map(s => [s.unit === 'lots' ? LOTS : unitName(s.unit), num(s.count)])) : null,
        h('p', {class: 'hint'}, 'Vilka företag som deltog och vad som sades visas bara för företagslotsarna.'));
}

function card(n, text) {
    return h('div', {class: 'card'}, h('span', {class: 'n'}, num(n)), text);
}

// --- attendance -------------------------------------------------------------------------

// The attendance as the API takes it, with one company changed (persons 0: removed).
function attendanceBody(m, change) {
    const companies = m.companies.map(c => ({company_id: c.company_id, persons: c.persons}));
    if (change) {
        const i = companies.findIndex(c => c.company_id === change.company_id);
        if (i >= 0 && !change.persons) companies.splice(i, 1);
        else if (i >= 0) companies[i].persons = change.persons;
        else companies.push(change);
    }
    return {companies, staff: m.staff.map(s => ({unit: s.unit, count: s.count}))};
}

async function putAttendance(m, body, ctx, key, said) {
    const n = await api('PUT', `/meetings/${m.id}/attendance`, body);
    announce(said);
    ctx.repaint(n, key);
}

function attendance(m, ctx) {
    const sec = h('section', {'aria-labelledby': 'at-h'}, h('h2', {id: 'at-h'}, 'Deltagare'));
    if (m.kind === 'staff_training' || m.staff.length) append(sec, staffForm(m, ctx));
    if (m.kind === 'staff_training' && !m.companies.length) return sec;
    const persons = {};
    const rows = m.companies.map(c => {
        const inp = h('input', {type: 'number', min: 1, max: 1000, value: c.persons, inputmode: 'numeric',
            'aria-label': `Personer från ${c.name}`, class: 'persons'});
        persons[c.company_id] = inp;
        return [h('a', {href: `#/foretag/${c.company_id}`}, c.name), fmtOrgnr(c.orgnr), inp,
            h('button', {type: 'button', class: 'link', 'data-key': `rm-${c.company_id}`,
                onclick: () => putAttendance(m, attendanceBody(m, {company_id: c.company_id, persons: 0}), ctx, 'find',
                    `${c.name} är borttaget från deltagarna.`).catch(e => announce(errorText(e.code)))},
            'Ta bort', h('span', {class: 'visually-hidden'}, ` ${c.name}`))];
    });
    const personsForm = form({
        label: 'Antal personer per företag', submit: 'Spara antalet personer',
        onSubmit: async () => {
            const body = attendanceBody(m);
            for (const c of body.companies) {
                const v = Number(persons[c.company_id].value);
                if (!Number.isInteger(v) || v < 1 || v > 1000) {
                    persons[c.company_id].focus();
                    throw {code: 'out_of_range'};
                }
                c.persons = v;
            }
            await putAttendance(m, body, ctx, 'h-at', 'Antalet personer är sparat.');
        },
    }, [table(null, ['Företag', 'Organisationsnummer', 'Personer', ''], rows, 'Inga företag registrerade som deltagare ännu.')]);
    if (!rows.length) personsForm.querySelector('.actions').remove();
    append(sec, personsForm, h('h3', {id: 'af-h', tabindex: -1, 'data-key': 'h-at'}, 'Lägg till ett företag'), finder(m, ctx), registerNew(m, ctx));
    return sec;
}

// Search-as-you-type in the register: a name's start or an orgnr; each hit is a button
// that adds the company with the persons given.
function finder(m, ctx) {
    const q = field({label: 'Sök företag i registret', name: 'find', hint: 'Namnets början eller organisationsnumret.'});
    q.control.setAttribute('data-key', 'find');
    q.control.setAttribute('type', 'search');
    const persons = field({label: 'Antal personer', name: 'persons', type: 'number', value: '1', min: 1, max: 1000, inputmode: 'numeric'});
    const status = h('p', {class: 'list-count', 'aria-live': 'polite', id: newId('found')});
    const hits = h('ul', {class: 'plain hits'});
    const here = new Set(m.companies.map(c => c.company_id));
    let seq = 0, timer = null;
    const search = async () => {
        const s = q.control.value.trim();
        const mine = ++seq;
        clear(hits);
        if (s.length < 2) { status.textContent = ''; return; }
        const query = looksLikeNumber(s) ? `orgnr=${encodeURIComponent(s)}` : `q=${encodeURIComponent(s)}`;
        let items = [];
        try { items = (await api('GET', `/companies?${query}&limit=10`)).items; } catch (e) { if (e.status !== 400) throw e; }
        if (mine !== seq) return;
        status.textContent = items.length ? `${count(items.length, ['träff', 'träffar'])}.`
            : 'Inga träffar. Finns företaget inte i registret? Registrera det nedan.';
        append(hits, items.map(c => h('li', null, here.has(c.id)
            ? h('span', null, `${c.name} (${c.orgnr_formatted}) – deltar redan`)
            : h('button', {type: 'button', onclick: async () => {
                const n = Number(persons.control.value || 1);
                if (!Number.isInteger(n) || n < 1 || n > 1000) {
                    persons.msg.textContent = errorText('out_of_range');
                    persons.control.focus();
                    return;
                }
                try {
                    await putAttendance(m, attendanceBody(m, {company_id: c.id, persons: n}), ctx, 'find',
                        `${c.name} är tillagt som deltagare.`);
                } catch (e) { status.textContent = errorText(e.code); }
            }}, 'Lägg till ', h('strong', null, c.name), ` (${c.orgnr_formatted}${c.locality ? `, ${c.locality}` : ''})`))));
    };
    q.control.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 200); });
    q.control.addEventListener('keydown', ev => {
        if (ev.key === 'Enter') { ev.preventDefault(); clearTimeout(timer); search(); }
        if (ev.key === 'ArrowDown') { const b = hits.querySelector('button'); if (b) { ev.preventDefault(); b.focus(); } }
    });
    hits.addEventListener('keydown', ev => {
        const bs = [...hits.querySelectorAll('button')];
        const i = bs.indexOf(document.activeElement);
        if (ev.key === 'ArrowDown' && i >= 0 && i < bs.length - 1) { ev.preventDefault(); bs[i + 1].focus(); }
        if (ev.key === 'ArrowUp' && i >= 0) { ev.preventDefault(); (i ? bs[i - 1] : q.control).focus(); }
    });
    q.control.setAttribute('aria-describedby', `${q.control.getAttribute('aria-describedby')} ${status.id}`);
    return h('div', {class: 'finder'}, h('div', {class: 'row'}, q, persons), status, hits);
}

// A company not in the register, registered on the spot (orgnr checked as typed) and added.
function registerNew(m, ctx) {
    const orgnr = field({label: 'Organisationsnummer eller personnummer', name: 'orgnr', required: true, inputmode: 'numeric',
        hint: 'Enskild firma: innehavarens personnummer.'});
    const status = h('p', {class: 'orgnr-status', id: newId('orgnr-status'), 'aria-live': 'polite'});
    orgnr.insertBefore(status, orgnr.msg);
    orgnr.control.setAttribute('aria-describedby', `${orgnr.control.getAttribute('aria-describedby')} ${status.id}`);
    orgnr.control.addEventListener('input', () => {
        const v = orgnr.control.value, r = checkOrgnr(v);
        status.className = 'orgnr-status';
        orgnr.msg.textContent = '';
        orgnr.control.removeAttribute('aria-invalid');
        if (!v.trim()) { status.textContent = ''; return; }
        if (r.code === 'ok') {
            status.textContent = `✓ ${r.formatted} – ${r.groupName}`;
            status.classList.add('ok');
            return;
        }
        const digits = v.replace(/\D/g, '').length;
        const partial = digits < 10 && r.code === 'invalid_orgnr_format';
        status.textContent = partial ? `${digits} siffror hittills.` : errorText(r.code);
        if (!partial) orgnr.control.setAttribute('aria-invalid', 'true');
    });
    const f = form({
        label: 'Registrera och lägg till företag', submit: 'Registrera och lägg till',
        onSubmit: async (v, _f, key) => {
            const local = checkOrgnr(v.orgnr);
            if (local.code !== 'ok') { status.textContent = ''; throw {code: local.code, field: 'orgnr'}; }
            const persons = Number(v.newpersons || 1);
            if (!Number.isInteger(persons) || persons < 1 || persons > 1000) throw {code: 'out_of_range', field: 'newpersons'};
            const body = {orgnr: v.orgnr.trim(), name: v.name.trim()};
            if (v.locality.trim()) body.locality = v.locality.trim();
            let id, name = body.name, said;
            try {
                const c = await api('POST', '/companies', body, {key});
                id = c.id;
                said = `${c.name} är registrerat och tillagt som deltagare.`;
            } catch (e) {
                if (e.code !== 'duplicate_orgnr' || !e.body || !e.body.existing_id) { if (e.field === 'orgnr') status.textContent = ''; throw e; }
                id = e.body.existing_id; // already registered: simply added, as `lots meeting attend --new`
                said = 'Företaget fanns redan i registret och är tillagt som deltagare.';
            }
            if (m.companies.some(c => c.company_id === id)) { announce(`${name} deltar redan.`); return; }
            await putAttendance(m, attendanceBody(m, {company_id: id, persons}), ctx, 'find', said);
        },
    }, [orgnr, field({label: 'Företagets namn', name: 'name', required: true, maxlength: 200}),
        h('div', {class: 'row'}, field({label: 'Ort', name: 'locality', maxlength: 200}),
            field({label: 'Antal personer', name: 'newpersons', type: 'number', value: '1', min: 1, max: 1000, inputmode: 'numeric'}))]);
    return h('details', {class: 'panel'}, h('summary', null, 'Finns inte i registret? Registrera företaget här'), f);
}

// Staff trainings: participants per unit, counts only.
function staffForm(m, ctx) {
    const have = Object.fromEntries(m.staff.map(s => [s.unit, s.count]));
    const units = [['lots', LOTS], ...unitOptions()];
    const f = form({
        label: 'Deltagare per enhet', submit: 'Spara antalet per enhet',
        onSubmit: async v => {
            const staff = [];
            for (const [u] of units) {
                const raw = String(v[`staff.${u}`] || '').trim();
                if (!raw) continue;
                const n = Number(raw);
                if (!Number.isInteger(n) || n < 0 || n > 100000) throw {code: 'out_of_range', field: `staff.${u}`};
                if (n) staff.push({unit: u, count: n});
            }
            const body = attendanceBody(m);
            body.staff = staff;
            await putAttendance(m, body, ctx, 'staff', 'Antalet deltagare per enhet är sparat.');
        },
    }, [h('fieldset', null, h('legend', {tabindex: -1, 'data-key': 'staff'}, 'Personal som deltog, antal per enhet'),
        h('div', {class: 'row'}, units.map(([u, name]) => field({label: name, name: `staff.${u}`, type: 'number', min: 0,
            inputmode: 'numeric', value: have[u] ? String(have[u]) : ''}))))]);
    return f;
}

// --- documented items ---------------------------------------------------------------------

function items(m, ctx) {
    const save = async (list_, key, said) => {
        const n = await api('PATCH', `/meetings/${m.id}`, {notes_items: list_}, {ifMatch: m.version});
        announce(said);
        ctx.repaint(n, key);
    };
    const groups = Object.keys(ITEMS).map(t => {
        const mine = m.items.map((it, i) => [it, i]).filter(([it]) => it.type === t);
        return h('div', null, h('h3', null, `${ITEMS[t]} (${mine.length})`),
            mine.length ? h('ul', {class: 'plan-list'}, mine.map(([it, i]) => h('li', null, h('span', {class: 'text'}, it.text), ' ',
                h('button', {type: 'button', class: 'link', onclick: () => save(m.items.filter((_x, j) => j !== i), 'h-it',
                    `${ITEM_ONE[t]} är borttaget.`).catch(e => announce(errorText(e.code)))},
                'Ta bort', h('span', {class: 'visually-hidden'}, ` ${ITEM_ONE[t].toLowerCase()}: ${it.text.slice(0, 40)}`)))))
                : h('p', {class: 'empty'}, 'Inget dokumenterat.'));
    });
    const f = form({
        label: 'Dokumentera', submit: 'Lägg till',
        draft: `meeting-item-${m.id}`,
        onSubmit: async v => {
            await save([...m.items, {type: v.type, text: v.text.trim()}], 'item', `${ITEM_ONE[v.type]} är dokumenterat.`);
        },
    }, [h('div', {class: 'row'}, field({label: 'Vad', name: 'type', options: Object.entries(ITEM_ONE), value: 'need'})),
        field({label: 'Text', name: 'text', type: 'textarea', rows: 2, required: true, maxlength: 2000,
            hint: 'Ett behov, ett förslag eller en synpunkt från träffen, till exempel till trafikstrategen.'})]);
    f.elements.type.setAttribute('data-key', 'item');
    return h('section', {'aria-labelledby': 'it-h'}, h('h2', {id: 'it-h', tabindex: -1, 'data-key': 'h-it'}, 'Dokumenterat från träffen'),
        groups, h('h3', null, 'Dokumentera'), f);
}

// --- the evaluation ------------------------------------------------------------------------

function measure(x, what, withMean) {
    if (!x || !x.n) return `${what}: inga svar ännu.`;
    if (x.suppressed) return `${what}: visas från 7 svar (${count(x.n, ['svar', 'svar'])} hittills).`;
    return `${what}: ${pct(x.share)} av ${count(x.n, ['svar', 'svar'])}` + (withMean && x.mean != null ? `, medel ${num(x.mean, 1)} av 6.` : '.');
}

function evaluation(m, ctx) {
    const e = m.evaluation || {n: 0, paper: 0, comments: 0};
    const sec = h('section', {'aria-labelledby': 'ev-h'}, h('h2', {id: 'ev-h', tabindex: -1, 'data-key': 'h-ev'}, 'Utvärdering'),
        h('div', {class: 'cards'}, card(e.n, 'svar'), card(e.paper, 'från pappersenkäter'), card(e.comments, 'kommentarer')),
        h('ul', {class: 'plain summary'},
            h('li', null, measure(e.relevant, 'Tyckte att träffen var relevant (4–6 på en skala 1–6)', true)),
            TRAINING(m.kind) ? h('li', null, measure(e.knowledge, 'Fick stärkt kunskap', false)) : null),
        h('p', {class: 'hint'}, 'Andelar visas först när minst 7 har svarat på frågan, så att ingen enskild deltagares svar går att utläsa.'));
    if (!full(ctx)) return sec;
    const cs = m.comments || [];
    append(sec, h('h3', null, 'Kommentarer'),
        cs.length ? h('ul', {class: 'plan-list'}, cs.map(c => h('li', null, h('span', {class: 'text'}, c.text),
            h('span', {class: 'meta'}, `${dateOf(c.at)} · ${c.paper ? 'pappersenkät' : 'webbformuläret'}`))))
            : h('p', {class: 'empty'}, 'Inga kommentarer ännu.'),
        h('h3', null, 'Skriv in en pappersenkät'), paperForm(m, ctx));
    return sec;
}

function choices(name, legend, hint, pairs) {
    return h('fieldset', {class: 'question', 'data-key': name},
        h('legend', null, legend), hint ? h('p', {class: 'hint'}, hint) : null,
        h('div', {class: 'choices'},
            pairs.map(([v, t]) => h('label', {class: `choice${v === '' ? ' dk' : ''}`},
                h('input', {type: 'radio', name, value: v, checked: v === ''}), h('span', null, t)))));
}

function paperForm(m, ctx) {
    const scale = [1, 2, 3, 4, 5, 6].map(i => [String(i), String(i)]);
    const f = form({
        label: 'Pappersenkät', submit: 'Spara enkäten',
        onSubmit: async (v, form_, key) => {
            const body = {};
            if (v.relevant) body.relevant = Number(v.relevant);
            if (v.knowledge) body.knowledge = v.knowledge === 'true';
            if (v.comment && v.comment.trim()) body.comment = v.comment.trim();
            if (v.company) body.company_id = Number(v.company);
            if (!Object.keys(body).filter(k => k !== 'company_id').length) throw {code: 'no_answers'};
            await api('POST', `/meetings/${m.id}/evaluations`, body, {key});
            announce('Enkäten är sparad. Skriv in nästa.');
            await ctx.reload('paper');
        },
    }, [choices('relevant', 'Hur relevant var träffen för dig?', '1 = inte alls relevant, 6 = mycket relevant. Tangenterna 1–6 och 0 (vet ej) fungerar.',
        [...scale, ['', 'Vet ej']]),
        TRAINING(m.kind) ? choices('knowledge', 'Har utbildningen stärkt dina kunskaper?', null, [['true', 'Ja'], ['false', 'Nej'], ['', 'Vet ej']]) : null,
        field({label: 'Kommentar', name: 'comment', type: 'textarea', rows: 2, maxlength: 2000}),
        m.companies.length ? field({label: 'Företag som står på enkäten', name: 'company',
            hint: 'Bara om enkäten är undertecknad. Anonyma enkäter kopplas inte till något företag.',
            options: [['', 'Anonym (inget företag)'], ...m.companies.map(c => [String(c.company_id), c.name])], value: ''}) : null]);
    f.querySelector('[data-key="relevant"] input').setAttribute('data-key', 'paper');
    f.addEventListener('keydown', ev => {
        if (ev.ctrlKey || ev.altKey || ev.metaKey || !/^[0-6]$/.test(ev.key) || ev.target.type !== 'radio') return;
        const fs = ev.target.closest('fieldset');
        const d = ev.key;
        const target = [...fs.querySelectorAll('input')].find(r => (fs.dataset.key === 'knowledge'
            ? r.value === ({1: 'true', 2: 'false', 0: ''})[d] : r.value === (d === '0' ? '' : d)));
        if (!target) return;
        ev.preventDefault();
        target.checked = true;
        const next = fs.nextElementSibling && fs.nextElementSibling.querySelector('input:checked, textarea');
        if (next) next.focus();
    });
    return f;
}

// --- the evaluation link and the QR sheet ---------------------------------------------------

// The QR code as lotsd drew it (SVG): parsed as SVG, never as HTML, and kept only if it
// is nothing but shapes.
function qrImage(svgText) {
    if (!svgText) return null;
    const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
    const svg = doc.documentElement;
    if (svg.nodeName !== 'svg' || svg.querySelector('script, foreignObject, parsererror')) return null;
    for (const el of [svg, ...svg.querySelectorAll('*')])
        for (const a of [...el.attributes]) if (/^on/i.test(a.name) || /href/i.test(a.name)) el.removeAttribute(a.name);
    const node = document.importNode(svg, true);
    node.setAttribute('role', 'img');
    node.setAttribute('aria-label', 'QR-kod till utvärderingen');
    node.setAttribute('class', 'qr');
    node.removeAttribute('width');
    node.removeAttribute('height');
    return node;
}

async function downloadSheet(m) {
    const res = await api('GET', `/meetings/${m.id}/sheet`, undefined, {raw: true});
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', {href: url, download: `qr-blad-traff-${m.id}.html`});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function link(m, ctx) {
    const status = h('p', {role: 'status', class: 'meta'});
    return h('section', {'aria-labelledby': 'ql-h', class: 'qr-box'}, h('h2', {id: 'ql-h'}, 'Utvärderingslänk och QR-kod'),
        h('p', null, 'Deltagarna svarar anonymt på webben genom länken eller QR-koden, så många som vill. ',
            m.evaluation_link_expires_at ? `Länken fungerar till och med ${dateOf(m.evaluation_link_expires_at)}.` : ''),
        h('p', {class: 'link-text'}, h('a', {href: m.evaluation_link, target: '_blank', rel: 'noopener'}, m.evaluation_link)),
        qrImage(ctx.qr),
        h('p', null, h('button', {type: 'button', class: 'primary', onclick: () => downloadSheet(m).then(
            () => { status.textContent = 'QR-bladet är nedladdat. Öppna filen och skriv ut den på A4.'; },
            e => { status.textContent = errorText(e.code); })}, 'Ladda ner QR-bladet för utskrift (A4)')),
        status);
}
