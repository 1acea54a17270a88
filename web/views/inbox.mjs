// inbox.mjs: the unit handler's inbox (#/inkorg) — the hand-offs of their units
// that are new (sent) or acknowledged, overdue ones first and marked — and one
// hand-off (#/overlamning/ID) with the forms to acknowledge it with the unit's
// diarienummer and to record the decision. The server limits a handler to their
// own units; lots and admin see every unit's.
//
// The inbox is one request: GET /handoffs?status=sent,acknowledged, whose rows
// carry the case number, subject and company name (DESIGN.md), filtered, sorted
// and paged here (lib/list.mjs). One hand-off: the hand-off, its case and its
// company (three requests).

import {h, append, dl, announce} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {list, count} from '../lib/list.mjs';
import {unitName, unitOptions, personName} from '../lib/ref.mjs';
import {HANDOFF_STATUS, DECISIONS, CATEGORIES, label, options, when} from '../lib/sv.mjs';

export async function render(main, params, ctx) {
    if (params[0]) return renderHandoff(main, params[0], ctx);
    const all = (await api('GET', '/handoffs?status=sent,acknowledged&limit=500')).items;
    const mine = ctx.user.units && ctx.user.units.length ? ctx.user.units : null;
    const units = mine ? mine.map(unitName).join(', ') : 'alla enheter';
    const nNew = all.filter(x => x.status === 'sent').length;
    const nOver = all.filter(x => x.overdue && x.status === 'sent').length;
    const unitChoices = (mine ? mine.map(u => [u, unitName(u)]) : unitOptions());
    append(main, h('h1', {tabindex: -1}, 'Inkorg'),
        h('p', {class: 'lead'}, `${units} · ${count(nNew, ['ny', 'nya'])}, ${count(all.length - nNew, ['mottagen', 'mottagna'])}`,
            nOver ? `, ${count(nOver, ['försenad', 'försenade'])}` : ''),
        list({
            id: 'inbox', noun: ['överlämning', 'överlämningar'], empty: 'Inga öppna överlämningar.',
            rows: all, sort: ['prio', 'asc'],
            rowClass: x => (x.overdue && x.status === 'sent' ? 'overdue' : null),
            filters: [
                {key: 'status', label: 'Status', options: [['', 'Nya och mottagna'], ['sent', 'Nya'], ['acknowledged', 'Mottagna'],
                    ['overdue', 'Försenade']], test: (x, v) => (v === 'overdue' ? x.overdue && x.status === 'sent' : x.status === v)},
                ...(unitChoices.length > 1 ? [{key: 'unit', label: 'Enhet', options: [['', 'Alla'], ...unitChoices],
                    test: (x, v) => x.unit === v}] : []),
            ],
            columns: [
                {key: 'prio', label: 'Status', value: x => `${x.overdue && x.status === 'sent' ? 0 : 1}${x.status === 'sent' ? 0 : 1}${x.sent_at}`,
                    cell: x => [h('span', {class: `tag st-${x.status}`}, label(HANDOFF_STATUS, x.status)),
                        x.overdue && x.status === 'sent' ? h('span', {class: 'tag warn'}, 'Försenad') : null]},
                {key: 'unit', label: 'Enhet', value: x => unitName(x.unit), cell: x => unitName(x.unit)},
                {key: 'company', label: 'Företag', value: x => x.company_name || '', cell: x => x.company_name || ''},
                {key: 'case', label: 'Ärende', value: x => x.case_number || '',
                    cell: x => (x.case_number ? `${x.case_number}: ${x.case_subject || ''}` : '')},
                {key: 'sent', label: 'Skickad', value: x => x.sent_at, cell: x => when(x.sent_at)},
                {key: 'go', label: '', cell: x => h('a', {href: `#/overlamning/${x.id}`}, x.status === 'sent' ? 'Ta emot' : 'Besluta',
                    h('span', {class: 'visually-hidden'}, ` ${x.company_name || ''} ${x.case_number || ''}`))},
            ],
        }));
}

async function renderHandoff(main, id, ctx) {
    const x = await api('GET', `/handoffs/${id}`);
    const [c, co] = await Promise.all([
        api('GET', `/cases/${x.case_id}`).catch(() => null),
        api('GET', `/companies/${x.company_id}`).catch(() => null),
    ]);
    append(main,
        h('p', {class: 'crumbs'}, h('a', {href: '#/inkorg'}, 'Inkorg'), ' / Överlämning'),
        h('h1', {tabindex: -1}, `${unitName(x.unit)}: ${co ? co.name : 'företag'}`),
        dl([['Status', label(HANDOFF_STATUS, x.status) + (x.overdue && x.status === 'sent' ? ' (försenad)' : '')],
            ['Företag', co ? `${co.name} (${co.orgnr_formatted})` : null],
            ['Ärende', c ? h('a', {href: `#/arende/${c.id}`}, `${c.number}: ${c.subject}`) : null],
            ['Kategori', c ? label(CATEGORIES, c.category) : null],
            ['Skickad', `${when(x.sent_at)} av ${personName(x.sent_by)}`], ['Diarienummer', x.reference],
            ['Mottagen', when(x.acknowledged_at)], ['Beslut', x.decision ? `${label(DECISIONS, x.decision)} ${when(x.decided_at)}` : null]]),
        x.note ? h('section', {'aria-labelledby': 'm-h'}, h('h2', {id: 'm-h'}, 'Meddelande från lotsen'), h('p', {class: 'text'}, x.note)) : null);
    const phones = co ? (co.contacts || []).filter(p => p.phone || p.email) : [];
    if (phones.length) {
        append(main, h('section', {'aria-labelledby': 'cp-h'}, h('h2', {id: 'cp-h'}, 'Kontaktpersoner'),
            h('ul', null, phones.map(p => h('li', null, [p.name, p.role, p.phone, p.email].filter(Boolean).join(', '))))));
    }
    const mayAct = ctx.user.role === 'handler';
    if (mayAct && x.status === 'sent') {
        const f = form({
            label: 'Ta emot överlämningen', submit: 'Ta emot', draft: `ack-${x.id}`,
            onSubmit: async (v, _f, key) => {
                await api('POST', `/handoffs/${x.id}/acknowledge`, v.reference.trim() ? {reference: v.reference.trim()} : {}, {key});
                announce('Överlämningen är mottagen.');
                ctx.go(ctx.path);
            },
        }, [field({label: 'Enhetens diarienummer', name: 'reference', maxlength: 200, hint: 'Till exempel BN 2026-000123.'})]);
        f.elements.reference.setAttribute('data-autofocus', '');
        append(main, h('section', {'aria-labelledby': 'a-h'}, h('h2', {id: 'a-h'}, 'Ta emot'), f));
    }
    if (mayAct && x.status === 'acknowledged') {
        const f = form({
            label: 'Registrera beslut', submit: 'Spara beslutet', draft: `decide-${x.id}`,
            onSubmit: async (v, _f, key) => {
                const body = {decision: v.decision};
                if (v.note.trim()) body.note = v.note.trim();
                await api('POST', `/handoffs/${x.id}/decide`, body, {key});
                announce('Beslutet är sparat.');
                ctx.go('inkorg');
            },
        }, [field({label: 'Beslut', name: 'decision', required: true, options: [['', 'Välj beslut …'], ...options(DECISIONS)], value: ''}),
            field({label: 'Anteckning', name: 'note', type: 'textarea', rows: 3, maxlength: 10000})]);
        f.elements.decision.setAttribute('data-autofocus', '');
        append(main, h('section', {'aria-labelledby': 'd-h'}, h('h2', {id: 'd-h'}, 'Registrera beslut'), f));
    }
}
