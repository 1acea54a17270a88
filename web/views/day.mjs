// day.mjs: "Min dag", the lots's start page — my open cases, the follow-up calls
// due today or earlier, and my cases' hand-offs that a unit has let go overdue.
// The API has no "me"/"today" shorthands, so the filters are filled in here with
// the username and today's Stockholm date (due_before includes that day).

import {h, append, table} from '../lib/dom.mjs';
import {listAll, cached} from '../lib/api.mjs';
import {CATEGORIES, UNITS, HANDOFF_STATUS, label, today, when, dateOf} from '../lib/sv.mjs';

async function companyName(id) {
    try { return (await cached(`/companies/${id}`)).name; } catch { return `Företag ${id}`; }
}

export async function render(main, _params, ctx) {
    const me = ctx.user.username;
    const [cases, calls, overdue] = await Promise.all([
        listAll(`/cases?status=open&owner=${encodeURIComponent(me)}`),
        listAll(`/followups?status=scheduled&assignee=${encodeURIComponent(me)}&due_before=${today()}`),
        listAll('/handoffs?overdue=true&status=sent'),
    ]);
    const mine = new Map(cases.map(c => [c.id, c]));
    const late = overdue.filter(x => mine.has(x.case_id));
    const names = new Map();
    await Promise.all([...new Set([...cases, ...calls].map(x => x.company_id))]
        .map(async id => names.set(id, await companyName(id))));
    const d = today();

    append(main,
        h('h1', {tabindex: -1}, 'Min dag'),
        h('p', {class: 'lead'}, `${d} · ${cases.length} öppna ärenden · ${calls.length} uppföljningssamtal att ringa`),
        h('p', null, h('a', {href: '#/foretag', class: 'button'}, 'Sök eller registrera företag')),
        h('section', {'aria-labelledby': 'calls-h'},
            h('h2', {id: 'calls-h'}, 'Uppföljningssamtal idag och försenade'),
            table(null, ['Förfallodag', 'Företag', 'Omfattar', 'Försök', ''], calls.map(f => ({
                class: f.due < d ? 'overdue' : null,
                cells: [
                    [f.due, f.due < d ? h('span', {class: 'tag warn'}, ' försenat') : null],
                    names.get(f.company_id),
                    f.items.map(it => it.kind === 'lots' ? 'Lotsen' : label(UNITS, it.unit)).join(', '),
                    String(f.attempts),
                    h('a', {href: `#/uppfoljning/${f.id}`}, 'Ring ', h('span', {class: 'visually-hidden'}, names.get(f.company_id))),
                ],
            })), 'Inga samtal att ringa idag.')),
        h('section', {'aria-labelledby': 'late-h'},
            h('h2', {id: 'late-h'}, 'Överlämningar som väntar för länge'),
            table(null, ['Ärende', 'Enhet', 'Skickad', 'Status'], late.map(x => ({
                class: 'overdue',
                cells: [h('a', {href: `#/arende/${x.case_id}`}, mine.get(x.case_id).number),
                    label(UNITS, x.unit), when(x.sent_at), label(HANDOFF_STATUS, x.status)],
            })), 'Inga försenade överlämningar.')),
        h('section', {'aria-labelledby': 'cases-h'},
            h('h2', {id: 'cases-h'}, 'Mina öppna ärenden'),
            table(null, ['Ärende', 'Företag', 'Rubrik', 'Kategori', 'Öppnat'], cases.map(c => [
                h('a', {href: `#/arende/${c.id}`}, c.number), names.get(c.company_id), c.subject,
                label(CATEGORIES, c.category), dateOf(c.opened_at),
            ]), 'Du har inga öppna ärenden.')));
}
