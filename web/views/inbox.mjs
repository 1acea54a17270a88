// inbox.mjs: the unit handler's inbox (#/inkorg) — the hand-offs of their units
// that are new (sent) or acknowledged, overdue ones first and marked — and one
// hand-off (#/overlamning/ID) with the forms to acknowledge it with the unit's
// diarienummer and to record the decision. The server limits a handler to their
// own units; lots and admin see every unit's.

import {h, append, dl, table, announce} from '../lib/dom.mjs';
import {api, listAll, cached} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {UNITS, HANDOFF_STATUS, DECISIONS, CATEGORIES, label, options, when} from '../lib/sv.mjs';

async function caseOf(id) {
    try { return await cached(`/cases/${id}`); } catch { return null; }
}
async function companyOf(id) {
    try { return await cached(`/companies/${id}`); } catch { return null; }
}

export async function render(main, params, ctx) {
    if (params[0]) return renderHandoff(main, params[0], ctx);
    const [sent, acked] = await Promise.all([listAll('/handoffs?status=sent'), listAll('/handoffs?status=acknowledged')]);
    const all = [...sent, ...acked].sort((a, b) => (b.overdue - a.overdue) || (a.sent_at < b.sent_at ? -1 : 1));
    const cases = new Map(), companies = new Map();
    await Promise.all(all.map(async x => {
        cases.set(x.case_id, await caseOf(x.case_id));
        companies.set(x.company_id, await companyOf(x.company_id));
    }));
    const units = ctx.user.units && ctx.user.units.length ? ctx.user.units.map(u => label(UNITS, u)).join(', ') : 'alla enheter';
    const nOver = all.filter(x => x.overdue).length;
    append(main, h('h1', {tabindex: -1}, 'Inkorg'),
        h('p', {class: 'lead'}, `${units} · ${sent.length} nya, ${acked.length} mottagna`, nOver ? `, ${nOver} försenade` : ''),
        table(null, ['Status', 'Enhet', 'Företag', 'Ärende', 'Skickad', ''], all.map(x => {
            const c = cases.get(x.case_id), co = companies.get(x.company_id);
            return {
                class: x.overdue ? 'overdue' : null,
                cells: [[h('span', {class: `tag st-${x.status}`}, label(HANDOFF_STATUS, x.status)),
                    x.overdue ? h('span', {class: 'tag warn'}, 'Försenad') : null],
                label(UNITS, x.unit), co ? co.name : '', c ? `${c.number}: ${c.subject}` : '', when(x.sent_at),
                h('a', {href: `#/overlamning/${x.id}`}, x.status === 'sent' ? 'Ta emot' : 'Besluta',
                    h('span', {class: 'visually-hidden'}, ` ${co ? co.name : ''} ${c ? c.number : ''}`))],
            };
        }), 'Inga öppna överlämningar.'));
}

async function renderHandoff(main, id, ctx) {
    const x = await api('GET', `/handoffs/${id}`);
    const [c, co] = await Promise.all([caseOf(x.case_id), companyOf(x.company_id)]);
    append(main,
        h('p', {class: 'crumbs'}, h('a', {href: '#/inkorg'}, 'Inkorg'), ' / Överlämning'),
        h('h1', {tabindex: -1}, `${label(UNITS, x.unit)}: ${co ? co.name : 'företag'}`),
        dl([['Status', label(HANDOFF_STATUS, x.status) + (x.overdue ? ' (försenad)' : '')],
            ['Företag', co ? `${co.name} (${co.orgnr_formatted})` : null],
            ['Ärende', c ? h('a', {href: `#/arende/${c.id}`}, `${c.number}: ${c.subject}`) : null],
            ['Kategori', c ? label(CATEGORIES, c.category) : null],
            ['Skickad', `${when(x.sent_at)} av ${x.sent_by}`], ['Diarienummer', x.reference],
            ['Mottagen', when(x.acknowledged_at)], ['Beslut', x.decision ? `${label(DECISIONS, x.decision)} ${when(x.decided_at)}` : null]]),
        x.note ? h('section', {'aria-labelledby': 'm-h'}, h('h2', {id: 'm-h'}, 'Meddelande från lotsen'), h('p', {class: 'text'}, x.note)) : null);
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
        }, [field({label: 'Beslut', name: 'decision', options: options(DECISIONS), value: 'granted'}),
            field({label: 'Anteckning', name: 'note', type: 'textarea', rows: 3})]);
        f.elements.decision.setAttribute('data-autofocus', '');
        append(main, h('section', {'aria-labelledby': 'd-h'}, h('h2', {id: 'd-h'}, 'Registrera beslut'), f));
    }
}
