// day.mjs: "Min dag", the lots's start page — the follow-up calls due today or
// earlier, my cases' hand-offs that a unit has let go overdue, and my open cases,
// each a list with filters, sorting and paging (lib/list.mjs).
//
// Three requests, each answer carrying what its rows show (company names on
// cases and calls, case numbers on hand-offs): GET /followups (scheduled, mine,
// due_before today), GET /handoffs?overdue=true&status=sent (kept when the case
// is mine) and GET /cases?status=open&owner=ME.

import {h, append} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {list, count} from '../lib/list.mjs';
import {unitName} from '../lib/ref.mjs';
import {CATEGORIES, LOTS, label, options, today, when, dateOf} from '../lib/sv.mjs';

function covers(f) {
    return f.items.map(it => `${it.kind === 'lots' ? LOTS : unitName(it.unit)}${it.case_number ? ` ${it.case_number}` : ''}`)
        .filter((x, i, a) => a.indexOf(x) === i).join(', ');
}

export async function render(main, _params, ctx) {
    const me = encodeURIComponent(ctx.user.username);
    const d = today();
    const [cases, calls, overdue] = await Promise.all([
        api('GET', `/cases?status=open&owner=${me}&limit=500`),
        api('GET', `/followups?status=scheduled&assignee=${me}&due_before=${d}&limit=500`),
        api('GET', '/handoffs?overdue=true&status=sent&limit=500'),
    ]).then(rs => rs.map(r => r.items));
    const mine = new Map(cases.map(c => [c.id, c]));
    const late = overdue.filter(x => mine.has(x.case_id));

    append(main,
        h('h1', {tabindex: -1}, 'Min dag'),
        h('p', {class: 'lead'}, `${d} · ${count(calls.length, ['samtal', 'samtal'])} att ringa · ` +
            `${count(late.length, ['försenad överlämning', 'försenade överlämningar'])} · ${count(cases.length, ['öppet ärende', 'öppna ärenden'])}`),
        h('p', null, h('a', {href: '#/foretag', class: 'button'}, 'Sök eller registrera företag')),
        h('section', {'aria-labelledby': 'calls-h'},
            h('h2', {id: 'calls-h'}, 'Uppföljningssamtal idag och försenade'),
            list({
                id: 'day-calls', noun: ['samtal', 'samtal'], empty: 'Inga samtal att ringa idag.',
                rows: calls, sort: ['due', 'asc'], pageSize: 20,
                rowClass: f => (f.due < d ? 'overdue' : null),
                filters: [{key: 'when', label: 'Visa', options: [['', 'Alla'], ['late', 'Försenade'], ['today', 'Idag']],
                    test: (f, v) => (v === 'late' ? f.due < d : f.due === d)}],
                columns: [
                    {key: 'due', label: 'Förfallodag', value: f => f.due,
                        cell: f => [f.due, f.due < d ? [' ', h('span', {class: 'tag warn'}, 'försenat')] : null]},
                    {key: 'company', label: 'Företag', value: f => f.company_name || '', cell: f => f.company_name || ''},
                    {key: 'covers', label: 'Gäller', cell: covers},
                    {key: 'attempts', label: 'Försök', value: f => f.attempts, cell: f => String(f.attempts)},
                    {key: 'go', label: '', cell: f => h('a', {href: `#/uppfoljning/${f.id}`}, 'Ring ',
                        h('span', {class: 'visually-hidden'}, f.company_name || ''))},
                ],
            })),
        h('section', {'aria-labelledby': 'late-h'},
            h('h2', {id: 'late-h'}, 'Överlämningar som väntar för länge'),
            list({
                id: 'day-late', noun: ['överlämning', 'överlämningar'], empty: 'Inga försenade överlämningar.',
                rows: late, sort: ['sent', 'asc'], rowClass: () => 'overdue',
                columns: [
                    {key: 'case', label: 'Ärende', value: x => mine.get(x.case_id).number,
                        cell: x => h('a', {href: `#/arende/${x.case_id}`}, mine.get(x.case_id).number)},
                    {key: 'company', label: 'Företag', value: x => mine.get(x.case_id).company_name || '',
                        cell: x => mine.get(x.case_id).company_name || ''},
                    {key: 'unit', label: 'Enhet', value: x => unitName(x.unit), cell: x => unitName(x.unit)},
                    {key: 'sent', label: 'Skickad', value: x => x.sent_at, cell: x => when(x.sent_at)},
                ],
            })),
        h('section', {'aria-labelledby': 'cases-h'},
            h('h2', {id: 'cases-h'}, 'Mina öppna ärenden'),
            list({
                id: 'day-cases', noun: ['ärende', 'ärenden'], empty: 'Du har inga öppna ärenden.',
                rows: cases, sort: ['opened', 'desc'],
                filters: [{key: 'cat', label: 'Kategori', options: [['', 'Alla'], ...options(CATEGORIES)],
                    test: (c, v) => c.category === v}],
                columns: [
                    {key: 'number', label: 'Ärende', value: c => c.number, cell: c => h('a', {href: `#/arende/${c.id}`}, c.number)},
                    {key: 'company', label: 'Företag', value: c => c.company_name || '', cell: c => c.company_name || ''},
                    {key: 'subject', label: 'Rubrik', value: c => c.subject, cell: c => c.subject},
                    {key: 'category', label: 'Kategori', value: c => label(CATEGORIES, c.category), cell: c => label(CATEGORIES, c.category)},
                    {key: 'opened', label: 'Öppnat', value: c => c.opened_at, cell: c => dateOf(c.opened_at)},
                ],
            })));
}
