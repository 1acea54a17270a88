// improvements.mjs: the improvement actions (#/forbattringar) — what the
// follow-up calls taught the municipality to do better (action 1.2 of the plan):
// the list with filters, and for lots and admin a form to register one (linked
// to a follow-up call when it came from one: #/forbattringar/ny/ID) and per
// action a form to change its status, title or description (PATCH with
// If-Match). Viewers read. One request: GET /improvements.

import {h, append, announce} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {list, count} from '../lib/list.mjs';
import {unitName, unitOptions} from '../lib/ref.mjs';
import {IMPROVEMENT_STATUS, LOTS, label, options, dateOf} from '../lib/sv.mjs';

export async function render(main, params, ctx) {
    const items = (await api('GET', '/improvements?limit=500')).items;
    const edit = ctx.user.role === 'lots' || ctx.user.role === 'admin';
    const open = items.filter(i => i.status === 'identified').length;
    append(main, h('h1', {tabindex: -1}, 'Förbättringsåtgärder'),
        h('p', {class: 'lead'}, `${count(items.length, ['åtgärd', 'åtgärder'])}, ${count(open, ['pågår', 'pågår'])}. ` +
            'Det som uppföljningssamtalen visar att kommunen kan göra bättre, och vad som blev av det.'));
    if (edit) append(main, createForm(ctx, params[0]));
    append(main, h('section', {'aria-labelledby': 'il-h'}, h('h2', {id: 'il-h'}, 'Alla åtgärder'),
        list({
            id: 'improvements', noun: ['åtgärd', 'åtgärder'], empty: 'Inga förbättringsåtgärder registrerade ännu.',
            rows: items, sort: ['identified', 'desc'],
            filters: [
                {key: 'status', label: 'Status', options: [['', 'Alla'], ...options(IMPROVEMENT_STATUS)], test: (i, v) => i.status === v},
                {key: 'unit', label: 'Gäller', options: [['', 'Alla'], ['-', LOTS], ...unitOptions()],
                    test: (i, v) => (v === '-' ? !i.unit : i.unit === v)},
            ],
            columns: [
                {key: 'title', label: 'Åtgärd', value: i => i.title, cell: i => [h('strong', null, i.title),
                    i.description ? h('p', {class: 'text meta'}, i.description) : null]},
                {key: 'unit', label: 'Gäller', value: i => (i.unit ? unitName(i.unit) : LOTS), cell: i => (i.unit ? unitName(i.unit) : LOTS)},
                {key: 'status', label: 'Status', value: i => i.status, cell: i => label(IMPROVEMENT_STATUS, i.status)},
                {key: 'identified', label: 'Identifierad', value: i => i.identified_at, cell: i => dateOf(i.identified_at)},
                {key: 'from', label: 'Från samtal', cell: i => (i.followup_id
                    ? (ctx.user.role === 'viewer' ? `nr ${i.followup_id}` : h('a', {href: `#/uppfoljning/${i.followup_id}`}, `Samtal ${i.followup_id}`))
                    : '–')},
                ...(edit ? [{key: 'edit', label: '', cell: i => editForm(i, ctx)}] : []),
            ],
        })));
}

function createForm(ctx, followupId) {
    const f = form({
        label: 'Ny förbättringsåtgärd', submit: 'Registrera åtgärden', draft: `improvement-new-${followupId || ''}`,
        onSubmit: async (v, _f, key) => {
            const body = {title: v.title.trim()};
            if (v.unit) body.unit = v.unit;
            if (v.description.trim()) body.description = v.description.trim();
            if (v.followup_id.trim()) body.followup_id = Number(v.followup_id);
            await api('POST', '/improvements', body, {key});
            announce(`Förbättringsåtgärden ${body.title} är registrerad.`);
            ctx.go('forbattringar');
        },
    }, [field({label: 'Åtgärd', name: 'title', required: true, maxlength: 200, hint: 'Kort, som en rubrik: vad ska göras?'}),
        field({label: 'Gäller', name: 'unit', options: [['', LOTS], ...unitOptions()], value: ''}),
        field({label: 'Beskrivning', name: 'description', type: 'textarea', rows: 3, maxlength: 10000}),
        field({label: 'Från uppföljningssamtal nr (frivilligt)', name: 'followup_id', inputmode: 'numeric', value: followupId || '',
            hint: 'Samtalets nummer, när åtgärden kom fram i ett uppföljningssamtal.'})]);
    return h('details', {class: 'panel', open: Boolean(followupId)}, h('summary', null, 'Registrera en ny åtgärd'), f);
}

function editForm(i, ctx) {
    const f = form({
        label: `Ändra ${i.title}`, submit: 'Spara',
        onSubmit: async v => {
            const body = {status: v.status, title: v.title.trim(), description: v.description.trim() || null};
            await api('PATCH', `/improvements/${i.id}`, body, {ifMatch: i.version});
            announce(`${body.title}: ${label(IMPROVEMENT_STATUS, body.status).toLowerCase()}.`);
            ctx.go(ctx.path);
        },
    }, [field({label: 'Status', name: 'status', options: options(IMPROVEMENT_STATUS), value: i.status}),
        field({label: 'Åtgärd', name: 'title', required: true, maxlength: 200, value: i.title}),
        field({label: 'Beskrivning', name: 'description', type: 'textarea', rows: 2, maxlength: 10000, value: i.description || ''})]);
    return h('details', null, h('summary', null, 'Ändra', h('span', {class: 'visually-hidden'}, ` ${i.title}`)), f);
}
