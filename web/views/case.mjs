// case.mjs: one lotsärende (#/arende/ID or #/arende/L2026-0042) as a single
// timeline — opened, contacts, hand-offs with their status, follow-up calls,
// closed — newest first, with the lots's quick forms beside it (above it on a
// phone), and the same case as a print view (#/arende/ID/utskrift).
//
// The contact form is built for a phone call logged in seconds with the keyboard:
// the focus lands in the summary, the channel is already "Telefon", Tab goes on to
// channel, direction and minutes, Ctrl+Enter saves, and the page comes back with
// the focus in the summary again. Two requests: the case (with its contacts,
// hand-offs and calls) and its company (contact persons, orgnr).

import {h, append, dl, announce} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {unitName, unitOptions, personName, people} from '../lib/ref.mjs';
import {CATEGORIES, CASE_STATUS, CHANNELS, DIRECTIONS, OUTCOMES, HANDOFF_STATUS, DECISIONS,
    FOLLOWUP_STATUS, LOTS, label, options, when, today} from '../lib/sv.mjs';

// A timeline entry; `shown` replaces the time when only a date is known.
function entry(at, kind, title, shown, ...body) {
    return {at, node: h('li', {class: `tl tl-${kind}`},
        h('p', {class: 'tl-head'}, h('time', {datetime: at}, shown || when(at)), ' ', h('strong', null, title)), body)};
}

const OPEN_HANDOFF = x => x.status === 'sent' || x.status === 'acknowledged';

function handoffEntry(x, ctx, withForms) {
    const parts = [h('p', null, h('span', {class: `tag st-${x.status}`}, label(HANDOFF_STATUS, x.status)),
        x.overdue && x.status === 'sent' ? h('span', {class: 'tag warn'}, 'Försenad') : null,
        ` Överlämnad av ${personName(x.sent_by) || '–'}.`)];
    if (x.note) parts.push(h('p', {class: 'text'}, x.note));
    if (x.acknowledged_at) {
        parts.push(h('p', null, `Mottagen ${when(x.acknowledged_at)}`, x.reference ? `, diarienummer ${x.reference}` : '', '.'));
    }
    if (x.decided_at) {
        parts.push(h('p', null, `Beslut ${when(x.decided_at)}: ${label(DECISIONS, x.decision)}.`));
        if (x.decision_note) parts.push(h('p', {class: 'text'}, x.decision_note));
    }
    if (x.withdrawn_at) {
        parts.push(h('p', null, `Återkallad ${when(x.withdrawn_at)}.`));
        if (x.withdraw_note) parts.push(h('p', {class: 'text'}, x.withdraw_note));
    }
    if (withForms && ctx.user.role === 'handler') parts.push(h('p', null, h('a', {href: `#/overlamning/${x.id}`}, 'Öppna överlämningen')));
    // A hand-off not yet decided can be taken back, also after the case is closed.
    if (withForms && ctx.user.role === 'lots' && OPEN_HANDOFF(x)) {
        const f = form({
            label: `Återkalla överlämningen till ${unitName(x.unit)}`, submit: 'Återkalla', danger: true,
            onSubmit: async (v, _f, key) => {
                await api('POST', `/handoffs/${x.id}/withdraw`, v.note.trim() ? {note: v.note.trim()} : {}, {key});
                announce('Överlämningen är återkallad.');
                ctx.go(ctx.path);
            },
        }, [field({label: 'Varför återkallas den?', name: 'note', type: 'textarea', rows: 2, maxlength: 10000})]);
        parts.push(h('details', {class: 'noprint'}, h('summary', null, 'Återkalla överlämningen',
            h('span', {class: 'visually-hidden'}, ` till ${unitName(x.unit)}`)), f));
    }
    return entry(x.sent_at, 'handoff', `Överlämnad till ${unitName(x.unit)}`, null, parts);
}

function timeline(c, ctx, withForms) {
    const items = [entry(c.opened_at, 'opened', 'Ärendet öppnades', null,
        c.description ? h('p', {class: 'text'}, c.description) : null)];
    for (const k of c.contacts || []) {
        items.push(entry(k.at, 'contact', `${label(CHANNELS, k.channel)}, ${label(DIRECTIONS, k.direction).toLowerCase()}`, null,
            h('p', {class: 'text'}, k.summary),
            h('p', {class: 'meta'}, [k.minutes !== null ? `${k.minutes} min` : null, `loggad av ${personName(k.logged_by)}`]
                .filter(Boolean).join(' · '))));
    }
    for (const x of c.handoffs || []) items.push(handoffEntry(x, ctx, withForms));
    for (const f of c.followups || []) {
        const kinds = f.items.filter(it => it.case_id === c.id)
            .map(it => (it.kind === 'lots' ? LOTS : unitName(it.unit))).join(', ');
        // A planned call has a date only: it is shown as that date, and sorted at its end.
        const planned = !f.recorded_at;
        items.push(entry(planned ? `${f.due}T23:59:59` : f.recorded_at, 'followup', `Uppföljningssamtal (${kinds})`,
            planned ? `${f.due}, planerat` : null,
            h('p', null, h('span', {class: 'tag'}, label(FOLLOWUP_STATUS, f.status)),
                planned ? ` ${f.attempts} försök hittills.` : ` Förfallodag ${f.due}, ${f.attempts} försök.`,
                f.assignee ? ` Ringer: ${personName(f.assignee)}.` : ''),
            withForms && ctx.user.role === 'lots' && f.status === 'scheduled'
                ? h('p', null, h('a', {href: `#/uppfoljning/${f.id}`}, 'Ring uppföljningssamtalet')) : null));
    }
    if (c.closed_at) {
        items.push(entry(c.closed_at, 'closed', `Ärendet avslutades: ${label(OUTCOMES, c.outcome)}`, null,
            c.close_note ? h('p', {class: 'text'}, c.close_note) : null));
    }
    items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    return h('ol', {class: 'tl-list'}, items.map(i => i.node));
}

function facts(c, company) {
    const people = (company && company.contacts) || [];
    return dl([
        ['Företag', company ? [h('a', {href: `#/foretag/${company.id}`}, company.name), ` (${company.orgnr_formatted})`] : String(c.company_id)],
        ['Kontaktperson', people.length ? people.map(p => [p.name, p.role, p.phone, p.email].filter(Boolean).join(', ')).join('; ') : null],
        ['Status', label(CASE_STATUS, c.status) + (c.outcome ? ` – ${label(OUTCOMES, c.outcome)}` : '')],
        ['Kategori', label(CATEGORIES, c.category)],
        ['Ansvarig lots', personName(c.owner)], ['Öppnat', when(c.opened_at)],
    ]);
}

export async function render(main, params, ctx) {
    const c = await api('GET', `/cases/${encodeURIComponent(params[0])}`);
    const company = await api('GET', `/companies/${c.company_id}`).catch(e => {
        if (e.code === 'unauthorized') throw e;
        return null;
    });
    if (params[1] === 'utskrift') return renderPrint(main, c, company, ctx);
    const lots = ctx.user.role === 'lots';
    const open = c.status === 'open';

    append(main,
        h('p', {class: 'crumbs'}, company ? h('a', {href: `#/foretag/${company.id}`}, company.name) : 'Företag', ' / ', c.number,
            ' · ', h('a', {href: `#/arende/${c.id}/utskrift`}, 'Utskriftsvy')),
        h('h1', {tabindex: -1}, `${c.number}: ${c.subject}`),
        facts(c, company));

    const side = h('div', {class: 'quick'});
    if (lots && open) {
        const contact = form({
            label: 'Logga kontakt', submit: 'Spara kontakten', draft: `contact-${c.id}`,
            onSubmit: async (v, _f, key) => {
                const body = {channel: v.channel, direction: v.direction, summary: v.summary.trim()};
                if (v.minutes.trim()) body.minutes = Number(v.minutes);
                await api('POST', `/cases/${c.id}/contacts`, body, {key});
                announce('Kontakten är loggad.');
                ctx.go(ctx.path);
            },
        }, [field({label: 'Sammanfattning', name: 'summary', type: 'textarea', required: true, rows: 3, maxlength: 2000,
            hint: 'Ctrl+Enter sparar. Tab går vidare till kanal, riktning och minuter.', hintClass: 'wide-only'}),
        h('div', {class: 'row'},
            field({label: 'Kanal', name: 'channel', options: options(CHANNELS), value: 'phone'}),
            field({label: 'Riktning', name: 'direction', options: options(DIRECTIONS), value: 'inbound'}),
            field({label: 'Minuter', name: 'minutes', type: 'number', min: 0, max: 1440, inputmode: 'numeric'}))]);
        contact.elements.summary.setAttribute('data-autofocus', '');
        append(side, h('section', {'aria-labelledby': 'q1'}, h('h2', {id: 'q1'}, 'Logga kontakt'), contact),
            handoffPanel(c, ctx), closePanel(c, ctx));
    } else if (lots) {
        const reopen = form({
            label: 'Öppna ärendet igen', submit: 'Öppna ärendet igen',
            onSubmit: async (_v, _f, key) => {
                await api('POST', `/cases/${c.id}/reopen`, {}, {key});
                announce('Ärendet är öppnat igen.');
                ctx.go(ctx.path);
            },
        }, []);
        append(side, h('section', {'aria-labelledby': 'q4'}, h('h2', {id: 'q4'}, 'Ärendet är avslutat'),
            h('p', null, `Utfall: ${label(OUTCOMES, c.outcome)}.`), reopen));
    }
    if (lots) append(side, editPanel(c, ctx));
    append(main, h('div', {class: 'case-grid'},
        side.firstChild ? side : null,
        h('section', {'aria-labelledby': 't-h', class: 'timeline'}, h('h2', {id: 't-h'}, 'Händelser'), timeline(c, ctx, true))));
}

function panel(title, ...body) {
    return h('details', {class: 'panel'}, h('summary', null, title), body);
}

function handoffPanel(c, ctx) {
    const f = form({
        label: 'Lämna över till enhet', submit: 'Lämna över', draft: `handoff-${c.id}`,
        onSubmit: async (v, _f, key) => {
            await api('POST', `/cases/${c.id}/handoffs`, {unit: v.unit, note: v.note.trim()}, {key});
            announce(`Ärendet är överlämnat till ${unitName(v.unit)}.`);
            ctx.go(ctx.path);
        },
    }, [field({label: 'Enhet', name: 'unit', required: true, options: [['', 'Välj enhet …'], ...unitOptions()], value: ''}),
        field({label: 'Meddelande till enheten', name: 'note', type: 'textarea', rows: 3, required: true, maxlength: 10000,
            hint: 'Vad gäller ärendet och vad behöver enheten veta? Enheten ser meddelandet i sin inkorg.'})]);
    return panel('Lämna över till enhet', f);
}

// Closing warns about hand-offs still waiting at a unit: they stay with the unit
// unless taken back, here at the same time or later from the timeline.
function closePanel(c, ctx) {
    const waiting = (c.handoffs || []).filter(OPEN_HANDOFF);
    const warn = waiting.length ? h('div', {class: 'notice warn', id: `close-warn-${c.id}`},
        h('p', null, h('strong', null, waiting.length === 1 ? 'En överlämning är inte besvarad: '
            : `${waiting.length} överlämningar är inte besvarade: `),
            waiting.map(x => `${unitName(x.unit)} (${label(HANDOFF_STATUS, x.status).toLowerCase()})`).join(', '), '.'),
        h('p', null, 'De ligger kvar hos enheten när ärendet avslutas, och enhetens beslut ger ett eget uppföljningssamtal. ' +
            'Kryssa i dem som ska återkallas samtidigt; du kan också återkalla dem senare från händelserna.'),
        h('fieldset', null, h('legend', null, 'Återkalla samtidigt'),
            waiting.map(x => h('label', {class: 'check'}, h('input', {type: 'checkbox', name: 'withdraw', value: String(x.id)}),
                ` ${unitName(x.unit)}`)))) : null;
    const f = form({
        label: 'Avsluta ärendet', submit: waiting.length ? 'Avsluta ärendet ändå' : 'Avsluta ärendet', draft: `close-${c.id}`,
        onSubmit: async (v, _f, key) => {
            for (const id of v.withdraw || []) {
                await api('POST', `/handoffs/${id}/withdraw`, {note: 'Återkallad när ärendet avslutades.'}, {key: `${key}-w${id}`});
            }
            const body = {outcome: v.outcome};
            if (v.note.trim()) body.note = v.note.trim();
            await api('POST', `/cases/${c.id}/close`, body, {key});
            announce('Ärendet är avslutat.');
            ctx.go(ctx.path);
        },
    }, [warn, field({label: 'Utfall', name: 'outcome', options: options(OUTCOMES), value: 'resolved'}),
        field({label: 'Anteckning', name: 'note', type: 'textarea', rows: 2, maxlength: 10000})]);
    if (warn) f.setAttribute('aria-describedby', warn.id);
    return panel('Avsluta ärendet', f);
}

function editPanel(c, ctx) {
    const lotsPeople = people('lots');
    if (!lotsPeople.some(u => u.username === c.owner)) lotsPeople.unshift({username: c.owner, name: personName(c.owner)});
    const f = form({
        label: 'Ändra ärendet', submit: 'Spara ändringarna',
        onSubmit: async v => {
            const body = {subject: v.subject.trim(), category: v.category, description: v.description.trim() || null};
            if (v.owner !== c.owner) body.owner = v.owner;
            await api('PATCH', `/cases/${c.id}`, body, {ifMatch: c.version});
            announce(body.owner ? `Ärendet är ändrat och överlämnat till ${personName(body.owner)}.` : 'Ärendet är ändrat.');
            ctx.go(ctx.path);
        },
    }, [field({label: 'Rubrik', name: 'subject', required: true, maxlength: 200, value: c.subject}),
        field({label: 'Kategori', name: 'category', options: options(CATEGORIES), value: c.category}),
        field({label: 'Beskrivning', name: 'description', type: 'textarea', rows: 3, maxlength: 10000, value: c.description || ''}),
        field({label: 'Ansvarig lots', name: 'owner', options: lotsPeople.map(u => [u.username, u.name || u.username]), value: c.owner,
            hint: 'Ny ansvarig får ärendets kommande uppföljningssamtal.'})]);
    return panel('Ändra ärendet eller ansvarig lots', f);
}

function renderPrint(main, c, company, ctx) {
    append(main,
        h('p', {class: 'crumbs noprint'}, h('a', {href: `#/arende/${c.id}`}, `Tillbaka till ${c.number}`)),
        h('h1', {tabindex: -1}, `${c.number}: ${c.subject}`),
        facts(c, company),
        h('p', {class: 'noprint'}, h('button', {type: 'button', class: 'primary', onclick: () => window.print()}, 'Skriv ut')),
        h('h2', null, 'Händelser'), timeline(c, ctx, false),
        h('p', {class: 'meta'}, `Utskrivet ${today()} av ${personName(ctx.user.username)} ur Lotsbok. ` +
            'Innehåller personuppgifter: hantera utskriften därefter.'));
}
