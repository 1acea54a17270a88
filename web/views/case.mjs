// case.mjs: one lotsärende (#/arende/ID or #/arende/L2026-0042) as a single
// timeline — opened, contacts, hand-offs with their status, follow-up calls,
// closed — newest first, with the lots's quick forms beside it.
//
// The contact form is built for a phone call logged in seconds with the keyboard:
// the channel is already "Telefon", the focus lands in the summary, Ctrl+Enter
// saves, and the page comes back with the focus in the summary again.

import {h, append, dl, announce} from '../lib/dom.mjs';
import {api, cached} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {CATEGORIES, CASE_STATUS, CHANNELS, DIRECTIONS, OUTCOMES, UNITS, HANDOFF_STATUS, DECISIONS,
    FOLLOWUP_STATUS, label, options, when} from '../lib/sv.mjs';

function entry(at, kind, title, ...body) {
    return {at, node: h('li', {class: `tl tl-${kind}`},
        h('p', {class: 'tl-head'}, h('time', {datetime: at}, when(at)), ' ', h('strong', null, title)), body)};
}

function handoffEntry(x, c, ctx) {
    const parts = [h('p', null, h('span', {class: `tag st-${x.status}`}, label(HANDOFF_STATUS, x.status)),
        x.overdue && x.status === 'sent' ? h('span', {class: 'tag warn'}, 'Försenad') : null,
        ` Skickad av ${x.sent_by || '–'}.`)];
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
    if (ctx.user.role === 'handler') parts.push(h('p', null, h('a', {href: `#/overlamning/${x.id}`}, 'Öppna överlämningen')));
    if (ctx.user.role === 'lots' && (x.status === 'sent' || x.status === 'acknowledged') && c.status === 'open') {
        const f = form({
            label: `Återkalla överlämningen till ${label(UNITS, x.unit)}`, submit: 'Återkalla', danger: true,
            onSubmit: async (v, _f, key) => {
                await api('POST', `/handoffs/${x.id}/withdraw`, v.note.trim() ? {note: v.note.trim()} : {}, {key});
                announce('Överlämningen är återkallad.');
                ctx.go(ctx.path);
            },
        }, [field({label: 'Varför återkallas den?', name: 'note', type: 'textarea', rows: 2})]);
        parts.push(h('details', null, h('summary', null, 'Återkalla överlämningen'), f));
    }
    return entry(x.sent_at, 'handoff', `Överlämnad till ${label(UNITS, x.unit)}`, parts);
}

export async function render(main, params, ctx) {
    const c = await api('GET', `/cases/${encodeURIComponent(params[0])}`);
    let company = null;
    try { company = await cached(`/companies/${c.company_id}`); } catch { company = null; }
    const lots = ctx.user.role === 'lots';
    const open = c.status === 'open';

    const items = [entry(c.opened_at, 'opened', 'Ärendet öppnades', c.description ? h('p', {class: 'text'}, c.description) : null)];
    for (const k of c.contacts || []) {
        items.push(entry(k.at, 'contact', `${label(CHANNELS, k.channel)}, ${label(DIRECTIONS, k.direction).toLowerCase()}`,
            h('p', {class: 'text'}, k.summary),
            h('p', {class: 'meta'}, [k.minutes !== null ? `${k.minutes} min` : null, `loggad av ${k.logged_by}`].filter(Boolean).join(' · '))));
    }
    for (const x of c.handoffs || []) items.push(handoffEntry(x, c, ctx));
    for (const f of c.followups || []) {
        const kinds = f.items.filter(it => it.case_id === c.id)
            .map(it => it.kind === 'lots' ? 'lotsen' : label(UNITS, it.unit)).join(', ');
        items.push(entry(f.recorded_at || `${f.due}T10:00:00Z`, 'followup', `Uppföljningssamtal (${kinds})`,
            h('p', null, h('span', {class: 'tag'}, label(FOLLOWUP_STATUS, f.status)), ` Förfallodag ${f.due}, ${f.attempts} försök.`),
            lots && f.status === 'scheduled' ? h('p', null, h('a', {href: `#/uppfoljning/${f.id}`}, 'Ring uppföljningssamtalet')) : null));
    }
    if (c.closed_at) {
        items.push(entry(c.closed_at, 'closed', `Ärendet avslutades: ${label(OUTCOMES, c.outcome)}`,
            c.close_note ? h('p', {class: 'text'}, c.close_note) : null));
    }
    items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));

    append(main,
        h('p', {class: 'crumbs'}, company ? h('a', {href: `#/foretag/${company.id}`}, company.name) : 'Företag', ' / ', c.number),
        h('h1', {tabindex: -1}, `${c.number}: ${c.subject}`),
        dl([['Företag', company ? `${company.name} (${company.orgnr_formatted})` : String(c.company_id)],
            ['Status', label(CASE_STATUS, c.status)], ['Kategori', label(CATEGORIES, c.category)],
            ['Ansvarig lots', c.owner], ['Öppnat', when(c.opened_at)]]));

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
        }, [h('div', {class: 'row'},
            field({label: 'Kanal', name: 'channel', options: options(CHANNELS), value: 'phone'}),
            field({label: 'Riktning', name: 'direction', options: options(DIRECTIONS), value: 'inbound'}),
            field({label: 'Minuter', name: 'minutes', type: 'number', min: 0, max: 1440, inputmode: 'numeric'})),
        field({label: 'Sammanfattning', name: 'summary', type: 'textarea', required: true, rows: 3, maxlength: 2000,
            hint: 'Ctrl+Enter sparar.'})]);
        contact.elements.summary.setAttribute('data-autofocus', '');
        const handoff = form({
            label: 'Lämna över till enhet', submit: 'Lämna över', draft: `handoff-${c.id}`,
            onSubmit: async (v, _f, key) => {
                const body = {unit: v.unit};
                if (v.note.trim()) body.note = v.note.trim();
                await api('POST', `/cases/${c.id}/handoffs`, body, {key});
                announce(`Ärendet är överlämnat till ${label(UNITS, v.unit)}.`);
                ctx.go(ctx.path);
            },
        }, [field({label: 'Enhet', name: 'unit', options: options(UNITS), value: 'bygglov'}),
            field({label: 'Meddelande till enheten', name: 'note', type: 'textarea', rows: 3})]);
        const close = form({
            label: 'Avsluta ärendet', submit: 'Avsluta ärendet', draft: `close-${c.id}`,
            onSubmit: async (v, _f, key) => {
                const body = {outcome: v.outcome};
                if (v.note.trim()) body.note = v.note.trim();
                await api('POST', `/cases/${c.id}/close`, body, {key});
                announce('Ärendet är avslutat.');
                ctx.go(ctx.path);
            },
        }, [field({label: 'Utfall', name: 'outcome', options: options(OUTCOMES), value: 'resolved'}),
            field({label: 'Anteckning', name: 'note', type: 'textarea', rows: 2})]);
        append(side,
            h('section', {'aria-labelledby': 'q1'}, h('h2', {id: 'q1'}, 'Logga kontakt'), contact),
            h('section', {'aria-labelledby': 'q2'}, h('h2', {id: 'q2'}, 'Lämna över till enhet'), handoff),
            h('section', {'aria-labelledby': 'q3'}, h('h2', {id: 'q3'}, 'Avsluta ärendet'), close));
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
    append(main, h('div', {class: 'case-grid'},
        h('section', {'aria-labelledby': 't-h', class: 'timeline'}, h('h2', {id: 't-h'}, 'Händelser'),
            h('ol', {class: 'tl-list'}, items.map(i => i.node))),
        side.firstChild ? side : null));
}
